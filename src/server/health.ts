import type { FastifyInstance } from 'fastify';

/** What /readyz reports: serving a trusted certificate and not draining. */
export interface Readiness {
  isReady(): boolean;
}

/** Readiness that main.ts flips to 503 at SIGTERM, on top of the certificate's own readiness. */
export class DrainableReadiness implements Readiness {
  private draining = false;

  constructor(private readonly inner: Readiness) {}

  drain(): void {
    this.draining = true;
  }

  isDraining(): boolean {
    return this.draining;
  }

  isReady(): boolean {
    return !this.draining && this.inner.isReady();
  }
}

export function registerHealth(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (readiness.isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
}
