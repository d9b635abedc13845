import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TlsMaterial } from '../certs/types.js';
import type { Config } from '../config/index.js';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.js';
import type { AppDeps } from './deps.js';
import { registerHealth } from './health.js';
import { registerMutate } from './mutate.js';

export type { AppDeps } from './deps.js';

export type { Readiness } from './health.js';

/** TLS settings shared by the first context and every in-place swap (setSecureContext). */
export function secureContextOptions(tls: TlsMaterial): { cert: string; key: string; minVersion: 'TLSv1.2' } {
  return { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' };
}

function jsonParser(_request: unknown, body: string, done: (error: Error | null, value?: unknown) => void): void {
  try {
    done(null, JSON.parse(body));
  } catch {
    const error = Object.assign(new Error('body is not valid JSON'), { statusCode: 400, code: 'INVALID_JSON' });
    done(error);
  }
}

/** Builds the fastify app; never listens (main.ts does, tests use app.inject()). */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const options: FastifyServerOptions & { https?: object } = {
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.maxBodyBytes,
    return503OnClosing: false,
  };
  if (deps.tls !== undefined) options.https = secureContextOptions(deps.tls);
  const app = Fastify(options) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, jsonParser);
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'unhandled error');
    void reply.code(status).send({ error: error.code ?? 'BAD_REQUEST', message: status === 500 ? 'internal error' : error.message });
  });
  registerHealth(app, deps.readiness);
  registerMutate(app, config, deps);
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.telemetry.prometheusText();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
  await app.ready();
  return app;
}
