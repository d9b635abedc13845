// The controller program (`node dist/main.js controller`, its own Deployment in the chart): watches the
// opted-in namespaces' pods and reports (or restarts) the workloads the webhook never handled, under a
// leader-election Lease. It serves only health and metrics. On a stop signal it releases the Lease.
import { pino } from 'pino';
import { systemClock } from '../clock.js';
import type { Config } from '../config/index.js';
import { leaderIdentity } from '../controller/identity.js';
import { createTelemetry } from '../telemetry/index.js';
import { HARD_EXIT_GRACE_MS, type Program, type ProgramContext } from './program.js';

/** The program, or undefined when CONTROLLER_MODE=off (nothing to do). */
export async function controllerProgram(config: Config, context: ProgramContext): Promise<Program | undefined> {
  const { version } = context;
  const logger = pino({ level: config.server.logLevel, base: { service: 'otel-injector-controller', version } });
  if (config.controller.mode === 'off') {
    logger.info('CONTROLLER_MODE=off: nothing to do; exiting');
    return undefined;
  }
  const [{ Controller }, { createControllerKube }, { createCollectorKube }, { createDeliveryKube }, { httpProbe }, { registerControllerMetrics }, { buildControllerApp }] = await Promise.all([
    import('../controller/controller.js'),
    import('../controller/kube.js'),
    import('../controller/collector-kube.js'),
    import('../controller/delivery-kube.js'),
    import('../controller/probe.js'),
    import('../controller/metrics.js'),
    import('../controller/app.js'),
  ]);
  const kubeConfig = await context.loadKubeConfig();
  const kube = createControllerKube(kubeConfig);
  let controller: InstanceType<typeof Controller> | undefined;
  const telemetry = createTelemetry(config.telemetry, {
    logger: logger.child({ component: 'telemetry' }),
    version,
    certExpiry: () => undefined,
    resourceAttributes: { 'k8s.namespace.name': config.certs.namespace, 'k8s.deployment.name': 'otel-injector-controller' },
    registerInstruments: registerControllerMetrics(() => controller?.findings() ?? []),
  });
  const caBundle = (): ReturnType<typeof kube.caBundle> => kube.caBundle(config.certs.webhookConfigName);
  const identity = leaderIdentity(config.controller.identityHost ?? context.hostname);
  controller = new Controller(config, {
    kube,
    probe: httpProbe(config.controller.webhookProbeUrl, caBundle),
    collector: createCollectorKube(kubeConfig),
    delivery: createDeliveryKube(kubeConfig),
    clock: systemClock,
    logger,
    identity,
  });
  const running = controller;
  const app = await buildControllerApp({ logger, telemetry, ready: () => running.isReady(), leader: () => running.isLeader() });
  return {
    app,
    listen: { port: config.server.port, host: config.server.host },
    async started() {
      await running.start();
      logger.info({ port: config.server.port, identity }, 'otel-injector controller running');
    },
    async stop(signal) {
      logger.info({ signal }, 'controller shutting down: releasing the lease');
      await running.stop();
      await Promise.allSettled([app.close(), telemetry.shutdown()]);
    },
    stopDeadlineMs: () => HARD_EXIT_GRACE_MS,
  };
}
