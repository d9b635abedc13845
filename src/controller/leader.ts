// Leader election on a coordination.k8s.io Lease, the way client-go does it: the holder renews every
// retry period; another replica takes over only after it has seen the same record unchanged for a whole
// lease duration on its own monotonic clock (no trust in other machines' wall clocks); writes are
// guarded by resourceVersion, so two replicas never both win. A leader that cannot renew within the
// renew deadline stops acting before its lease can expire. SIGTERM releases the lease for a fast handover.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { LeaseApi, LeaseRecord } from './ports.js';

export interface LeaderOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly durationSeconds: number;
}

export class LeaderElector {
  private leading = false;
  private observed: { key: string; atMs: number } | undefined;
  private lastRenewMs = 0;
  private readonly listeners: Array<(leading: boolean) => void> = [];

  constructor(
    private readonly api: LeaseApi,
    private readonly options: LeaderOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Retry/renew period: a third of the lease duration. */
  get periodMs(): number {
    return Math.max(1000, Math.floor((this.options.durationSeconds * 1000) / 3));
  }

  isLeader(): boolean {
    return this.leading;
  }

  onChange(listener: (leading: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** One round: acquire or renew; never throws. */
  async tick(): Promise<void> {
    try {
      this.set(await this.tryAcquireOrRenew());
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'leader election: lease request failed');
      // A leader that has not renewed for two thirds of the duration steps down before the lease can lapse.
      if (this.leading && this.clock.monotonicMs() - this.lastRenewMs > (this.options.durationSeconds * 2000) / 3) this.set(false);
    }
  }

  /** Gives the lease up (holder cleared), so another replica takes over at its next round. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.set(false);
    try {
      const lease = await this.api.get(this.options.namespace, this.options.name);
      if (lease?.holder !== this.options.identity) return;
      await this.api.replace(this.options.namespace, this.options.name, lease.resourceVersion, { ...this.record(lease), holder: '', durationSeconds: 1 });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'leader election: could not release the lease');
    }
  }

  private record(previous: LeaseRecord | undefined): Omit<LeaseRecord, 'resourceVersion'> {
    const now = this.clock.now().getTime();
    const mine = previous?.holder === this.options.identity;
    return {
      holder: this.options.identity,
      acquireMs: mine ? previous.acquireMs : now,
      renewMs: now,
      durationSeconds: this.options.durationSeconds,
      transitions: (previous?.transitions ?? 0) + (previous === undefined || mine ? 0 : 1),
    };
  }

  /** Whether another holder's record has stood unchanged for a whole lease duration (by our clock). */
  private expired(lease: LeaseRecord): boolean {
    if (lease.holder === '') return true;
    const key = `${lease.holder}\u0000${lease.renewMs}\u0000${lease.resourceVersion}`;
    const now = this.clock.monotonicMs();
    if (this.observed?.key !== key) {
      this.observed = { key, atMs: now };
      return false;
    }
    return now - this.observed.atMs >= Math.max(lease.durationSeconds, 1) * 1000;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const lease = await this.api.get(namespace, name);
    if (lease === undefined) {
      return this.write(() => this.api.create(namespace, name, this.record(undefined)));
    }
    if (lease.holder !== identity && !this.expired(lease)) return false;
    return this.write(() => this.api.replace(namespace, name, lease.resourceVersion, this.record(lease)));
  }

  private async write(run: () => Promise<LeaseRecord>): Promise<boolean> {
    try {
      await run();
      this.lastRenewMs = this.clock.monotonicMs();
      return true;
    } catch (error) {
      if ((error as { status?: number }).status === 409) return false; // another replica wrote first
      throw error;
    }
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.logger.info({ identity: this.options.identity, lease: `${this.options.namespace}/${this.options.name}` }, leading ? 'leader election: now the leader' : 'leader election: no longer the leader');
    for (const listener of this.listeners) listener(leading);
  }
}
