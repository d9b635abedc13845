import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { createCertificateSource } from './certs/index.js';
import type { CertificateSource } from './certs/types.js';
import { systemClock } from './clock.js';
import { parseConfig, type Config } from './config/index.js';
import { ConfigError } from './errors.js';
import { buildApp, secureContextOptions } from './server/app.js';
import { DrainableReadiness } from './server/health.js';
import { createTelemetry } from './telemetry/index.js';
import type { Telemetry } from './telemetry/types.js';

const HARD_EXIT_GRACE_MS = 10_000;

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function loadConfig(version: string): Config {
  try {
    return parseConfig(process.env, version);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`otel-injector: invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}

/** The Kubernetes client is loaded only when a mode needs it: it is most of the startup time otherwise. */
async function loadKubeConfig(): Promise<KubeConfig> {
  const { KubeConfig: Loader } = await import('@kubernetes/client-node');
  const kubeConfig = new Loader();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

interface Running {
  readonly app: FastifyInstance;
  readonly certs: CertificateSource;
  readonly telemetry: Telemetry;
  readonly readiness: DrainableReadiness;
}

/** SIGTERM: readiness 503 at once, keep serving for the drain period, finish in-flight reviews, exit 0. */
function handleSignals(running: Running, config: Config, logger: Logger): void {
  const stop = (signal: string, drainSeconds: number): void => {
    if (running.readiness.isDraining()) return;
    running.readiness.drain();
    logger.info({ signal, drainSeconds }, 'shutting down: readiness now 503');
    setTimeout(() => process.exit(0), (drainSeconds * 1000) + HARD_EXIT_GRACE_MS).unref();
    setTimeout(() => {
      void (async (): Promise<void> => {
        await running.app.close();
        await Promise.allSettled([running.certs.stop(), running.telemetry.shutdown()]);
        logger.info('stopped');
        process.exit(0);
      })();
    }, drainSeconds * 1000);
  };
  process.on('SIGTERM', () => stop('SIGTERM', config.server.shutdownDrainSeconds));
  process.on('SIGINT', () => stop('SIGINT', 0));
}

async function main(): Promise<void> {
  const version = readVersion();
  const config = loadConfig(version);
  const logger = pino({ level: config.server.logLevel, base: { service: 'otel-injector', version } });
  const kubeConfig = config.certs.mode === 'self-managed' ? await loadKubeConfig() : undefined;
  const certs = createCertificateSource(config.certs, { logger, clock: systemClock, kubeConfig });
  const tls = await certs.start();
  const readiness = new DrainableReadiness(certs);
  const telemetry = createTelemetry(config.telemetry, {
    logger: logger.child({ component: 'telemetry' }),
    version,
    certExpiry: () => certs.expiry(),
    resourceAttributes: { 'k8s.namespace.name': config.certs.namespace },
  });
  const app = await buildApp(config, { logger, clock: systemClock, telemetry, readiness, tls });
  certs.onChange((material) => {
    (app.server as unknown as HttpsServer).setSecureContext(secureContextOptions(material));
    logger.info({ notAfter: certs.expiry()?.toISOString() }, 'serving certificate swapped in place');
  });
  handleSignals({ app, certs, telemetry, readiness }, config, logger);
  await app.listen({ port: config.server.port, host: config.server.host });
  logger.info({ port: config.server.port, certMode: config.certs.mode }, 'otel-injector serving');
}

/** `node dist/main.js controller`: the controller of uninstrumented pods (its own Deployment in the chart). */
async function controllerMain(): Promise<void> {
  const version = readVersion();
  const config = loadConfig(version);
  const logger = pino({ level: config.server.logLevel, base: { service: 'otel-injector-controller', version } });
  if (config.controller.mode === 'off') {
    logger.info('CONTROLLER_MODE=off: nothing to do; exiting');
    return;
  }
  const [{ Controller }, { createControllerKube }, { createCollectorKube }, { httpProbe }, { registerControllerMetrics }, { buildControllerApp }] = await Promise.all([
    import('./controller/controller.js'),
    import('./controller/kube.js'),
    import('./controller/collector-kube.js'),
    import('./controller/probe.js'),
    import('./controller/metrics.js'),
    import('./controller/app.js'),
  ]);
  const kubeConfig = await loadKubeConfig();
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
  controller = new Controller(config, { kube, probe: httpProbe(config.controller.webhookProbeUrl, caBundle), collector: createCollectorKube(kubeConfig), clock: systemClock, logger });
  const running = controller;
  const app = await buildControllerApp({ logger, telemetry, ready: () => running.isReady(), leader: () => running.isLeader() });
  await app.listen({ port: config.server.port, host: config.server.host });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'controller shutting down: releasing the lease');
    setTimeout(() => process.exit(0), HARD_EXIT_GRACE_MS).unref();
    void (async (): Promise<void> => {
      await running.stop();
      await Promise.allSettled([app.close(), telemetry.shutdown()]);
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await running.start();
  logger.info({ port: config.server.port }, 'otel-injector controller running');
}

(process.argv[2] === 'controller' ? controllerMain() : main()).catch((error: unknown) => {
  process.stderr.write(`otel-injector: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
