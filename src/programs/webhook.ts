// The webhook program: the admission server with its certificate source (files, Secret or self-managed),
// readiness and telemetry. On SIGTERM its readiness turns 503 at once, it keeps serving for the drain
// period (the endpoints controller takes it out of the Service meanwhile), then finishes in-flight reviews
// and stops; SIGINT stops without the drain.
import type { Server as HttpsServer } from 'node:https';
import { pino } from 'pino';
import { createCertificateSource } from '../certs/index.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config/index.js';
import { buildApp, secureContextOptions } from '../server/app.js';
import { SupportFile } from '../server/delivery-file.js';
import { DrainableReadiness } from '../server/health.js';
import { createTelemetry } from '../telemetry/index.js';
import { HARD_EXIT_GRACE_MS, type Program, type ProgramContext, type StopSignal } from './program.js';

const drainSeconds = (config: Config, signal: StopSignal): number => (signal === 'SIGTERM' ? config.server.shutdownDrainSeconds : 0);

export async function webhookProgram(config: Config, context: ProgramContext): Promise<Program> {
  const { version } = context;
  const logger = pino({ level: config.server.logLevel, base: { service: 'otel-injector', version } });
  // the Kubernetes client is loaded only when a mode needs it: it is most of the startup time otherwise
  const kubeConfig = config.certs.mode === 'self-managed' ? await context.loadKubeConfig() : undefined;
  const certs = createCertificateSource(config.certs, { logger, clock: systemClock, kubeConfig });
  const tls = await certs.start();
  const readiness = new DrainableReadiness(certs);
  const telemetry = createTelemetry(config.telemetry, {
    logger: logger.child({ component: 'telemetry' }),
    version,
    certExpiry: () => certs.expiry(),
    resourceAttributes: { 'k8s.namespace.name': config.certs.namespace },
  });
  const { delivery } = config.inject;
  const support = delivery.mode === 'init-container' ? undefined : new SupportFile(delivery.supportFile, delivery.pollSeconds * 1000, logger.child({ component: 'delivery' }));
  await support?.start();
  const deliverySupport = support === undefined ? undefined : (): ReturnType<SupportFile['current']> => support.current();
  const app = await buildApp(config, { logger, clock: systemClock, telemetry, readiness, tls, deliverySupport });
  certs.onChange((material) => {
    (app.server as unknown as HttpsServer).setSecureContext(secureContextOptions(material));
    logger.info({ notAfter: certs.expiry()?.toISOString() }, 'serving certificate swapped in place');
  });
  return {
    app,
    listen: { port: config.server.port, host: config.server.host },
    async started() {
      logger.info({ port: config.server.port, certMode: config.certs.mode, delivery: delivery.mode }, 'otel-injector serving');
    },
    async stop(signal) {
      const seconds = drainSeconds(config, signal);
      readiness.drain();
      logger.info({ signal, drainSeconds: seconds }, 'shutting down: readiness now 503');
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      await app.close();
      support?.stop();
      await Promise.allSettled([certs.stop(), telemetry.shutdown()]);
      logger.info('stopped');
    },
    stopDeadlineMs: (signal) => (drainSeconds(config, signal) * 1000) + HARD_EXIT_GRACE_MS,
  };
}
