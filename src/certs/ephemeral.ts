// `ephemeral` mode: a throwaway CA and serving certificate for local runs, in memory only.
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { issueChain } from './issue.js';
import { describe } from './pem.js';
import type { CertificateSource, TlsMaterial } from './types.js';

export const EPHEMERAL_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export class EphemeralSource implements CertificateSource {
  private material: TlsMaterial | undefined;
  private notAfter: Date | undefined;
  /** PEM of the in-memory CA, for clients (and tests) that want to trust it. */
  caPem: string | undefined;

  constructor(
    private readonly deps: { logger: Logger; clock: Clock },
    private readonly validityDays: number,
    private readonly hosts: readonly string[] = EPHEMERAL_HOSTS,
  ) {}

  async start(): Promise<TlsMaterial> {
    if (this.material !== undefined) return this.material;
    const began = this.deps.clock.monotonicMs();
    const chain = await issueChain(this.hosts, this.validityDays, this.validityDays * 10, this.deps.clock.now());
    const leaf = new X509Certificate(chain.serving.certPem);
    this.caPem = chain.ca.certPem;
    this.notAfter = new Date(leaf.validTo);
    this.material = { cert: chain.serving.certPem, key: chain.serving.keyPem };
    this.deps.logger.info(
      { cert: describe(leaf), hosts: this.hosts, ms: Math.round(this.deps.clock.monotonicMs() - began) },
      'issued an ephemeral self-signed certificate (in memory only)',
    );
    return this.material;
  }

  onChange(): void {
    // the material never changes
  }

  isReady(): boolean {
    return this.material !== undefined;
  }

  expiry(): Date | undefined {
    return this.notAfter;
  }

  async stop(): Promise<void> {
    // nothing to stop
  }
}
