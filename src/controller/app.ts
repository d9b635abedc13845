// The controller's HTTP side (plain HTTP: probes and metrics only, nothing sensitive): /healthz, /readyz
// (200 once its watches have listed everything), /metrics. Built here, listened on in main.ts.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.js';
import type { Telemetry } from '../telemetry/types.js';

export interface ControllerAppDeps {
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly ready: () => boolean;
  readonly leader: () => boolean;
}

export async function buildControllerApp(deps: ControllerAppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const body = { status: deps.ready() ? 'ready' : 'not ready', leader: deps.leader() };
    return deps.ready() ? body : reply.code(503).send(body);
  });
  app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await deps.telemetry.prometheusText()));
  await app.ready();
  return app;
}
