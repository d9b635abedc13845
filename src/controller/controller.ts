// The controller: watches on every replica keep the picture of the opted-in namespaces' pods and the
// findings index up to date, pod event by pod event; only the Lease holder reports the findings (Events,
// summary, gauge; again only when they changed) and, in restart mode, restarts. The tick follows
// rollouts and re-checks the restart limits; it never goes over the pods. With collector sources set, the
// Lease holder also keeps the collector Secret in every opted-in namespace (collector-copy.ts): a pass every
// syncSeconds and at once when the set of opted-in namespaces changes.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { hasCollectorSources } from '../config/collector-sources.js';
import { CollectorCopier } from './collector-copy.js';
import type { DeliveryKube } from './delivery-kube.js';
import { DeliveryPublisher } from './delivery-support.js';
import type { CollectorKube } from './collector-kube.js';
import { FindingsIndex } from './findings-index.js';
import type { ControllerKube } from './kube.js';
import { LeaderElector } from './leader.js';
import type { WebhookProbe } from './probe.js';
import { Reporter } from './report.js';
import { Restarter } from './restarter.js';
import type { Finding } from './types.js';
import { ClusterView } from './watch.js';

/** Pod events within this many ms make one round. */
const EVENT_BATCH_MS = 50;

export interface ControllerDeps {
  readonly kube: ControllerKube;
  readonly probe: WebhookProbe;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This process's leader-election identity (identity.ts: host plus a random suffix). */
  readonly identity: string;
  /** The collector Secret copies' API access; needed only when collector sources are configured. */
  readonly collector?: CollectorKube;
  /** The delivery support publisher's API access; used when INJECT_DELIVERY is image-volume or auto. */
  readonly delivery?: DeliveryKube;
  /** How often rollouts are followed and limits re-checked (also run at once on every change); default 1000. */
  readonly tickMs?: number;
}

export class Controller {
  private readonly view: ClusterView;
  private readonly index: FindingsIndex;
  /** Index versions already reported / adopted in this leadership term (-1: not yet). */
  private reported = -1;
  private adopted = -1;
  private batch: NodeJS.Timeout | undefined;
  private readonly elector: LeaderElector;
  private readonly reporter: Reporter;
  private readonly restarter: Restarter;
  private readonly copier: CollectorCopier | undefined;
  private readonly publisher: DeliveryPublisher | undefined;
  private copying: Promise<void> | undefined;
  private copyAgain = false;
  /** The opted-in namespaces the last copy pass saw. */
  private copiedFor = '';
  private readonly timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly config: Config,
    private readonly deps: ControllerDeps,
  ) {
    const c = config.controller;
    const mode = c.mode === 'restart' ? 'restart' : 'report';
    const logger = deps.logger;
    this.index = new FindingsIndex(config.inject.payloadImage);
    const onPod = (old: Parameters<FindingsIndex['apply']>[0], next: Parameters<FindingsIndex['apply']>[1]): void => this.index.apply(old, next);
    this.view = new ClusterView(deps.kube, `${c.namespaceLabel.key}=${c.namespaceLabel.value}`, new Set(c.excludeNamespaces), onPod, () => this.soon(), logger);
    this.elector = new LeaderElector(deps.kube.lease, { namespace: config.certs.namespace, name: c.leaseName, identity: deps.identity, durationSeconds: c.leaseDurationSeconds }, deps.clock, logger);
    this.reporter = new Reporter(mode, (event) => deps.kube.recordEvent(event, deps.clock.now()), logger);
    this.restarter = new Restarter(c, { kube: deps.kube, probe: deps.probe, clock: deps.clock, logger });
    if (hasCollectorSources(c.collectorSources) && deps.collector !== undefined) {
      const options = { sources: c.collectorSources, secretName: config.inject.collector.secretName, releaseNamespace: config.certs.namespace, webhookConfigName: config.certs.webhookConfigName };
      this.copier = new CollectorCopier(options, deps.collector, logger);
    }
    if (config.inject.delivery.mode !== 'init-container' && deps.delivery !== undefined) {
      const options = { namespace: config.certs.namespace, webhookConfigName: config.certs.webhookConfigName, payloadImage: config.inject.payloadImage, republishMs: 120_000, reprobeMs: 600_000 };
      this.publisher = new DeliveryPublisher(deps.delivery, options, deps.clock, logger);
    }
    this.elector.onChange((leading) => {
      this.copier?.reset();
      this.publisher?.reset();
      this.copiedFor = '';
      if (leading) this.restarter.begin();
      else this.reporter.reset();
      this.reported = -1;
      this.adopted = -1;
      this.kick();
    });
  }

  async start(): Promise<void> {
    const c = this.config.controller;
    this.deps.logger.info({ mode: c.mode, dryRun: c.dryRun, maxConcurrent: c.maxConcurrent, minIntervalSeconds: c.minIntervalSeconds, namespaceLabel: `${c.namespaceLabel.key}=${c.namespaceLabel.value}` }, 'controller starting');
    await this.view.start();
    // not awaited: the pods' picture (readiness) never waits for the nodes
    void this.publisher?.start();
    await this.elector.tick();
    this.timers.push(setInterval(() => void this.elector.tick(), this.elector.periodMs));
    this.timers.push(setInterval(() => this.kick(), this.deps.tickMs ?? 1000));
    if (this.copier !== undefined) this.timers.push(setInterval(() => this.copy(), this.config.controller.collectorSources.syncSeconds * 1000));
    this.kick();
  }

  /** Stops acting, gives the Lease up for a fast handover, stops the watches. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.batch);
    await this.running;
    await this.copying;
    await this.elector.release();
    await Promise.all([this.view.stop(), this.publisher?.stop()]);
  }

  /** Ready once the namespaces and their pods have been listed. */
  isReady(): boolean {
    return !this.stopped && this.view.synced();
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** The leader's current findings (empty on the other replicas, so the gauge is not counted twice). */
  findings(): readonly Finding[] {
    return this.elector.isLeader() ? this.reporter.findings() : [];
  }

  /** Pods cached and what their watches asked the API for. */
  stats(): ReturnType<ClusterView['stats']> {
    return this.view.stats();
  }

  /** A pod changed: one round for the events of the next few ms. */
  private soon(): void {
    if (this.batch !== undefined || this.stopped) return;
    this.batch = setTimeout(() => {
      this.batch = undefined;
      this.kick();
    }, EVENT_BATCH_MS);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async round(): Promise<void> {
    if (this.copier !== undefined && this.view.watchedNamespaces().join(',') !== this.copiedFor) this.copy();
    await this.publish();
    if (!this.view.synced() || !this.elector.isLeader()) return;
    try {
      const version = this.index.version;
      const findings = this.index.findings();
      if (version !== this.reported && (await this.reporter.update(findings))) this.reported = version;
      if (this.config.controller.mode !== 'restart') return;
      const restarted = this.index.restartedVersion;
      if (restarted !== this.adopted) {
        await this.restarter.adopt(this.index.restartedOwners());
        this.adopted = restarted;
      }
      await this.restarter.step(findings);
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'controller: round failed; retried');
    }
  }

  /** The delivery support snapshot (leader only; the publisher writes only when it changed or is due). */
  private async publish(): Promise<void> {
    if (this.publisher === undefined || !this.elector.isLeader()) return;
    await this.publisher.sync().catch((error: unknown) => this.deps.logger.warn({ err: (error as Error).message }, 'delivery support: publish failed; retried'));
  }

  /** One pass of the collector Secret copies (leader only, after the namespaces were listed); never two at once. */
  private copy(): void {
    const copier = this.copier;
    // The namespaces listed is enough: the copies need not wait for every namespace's pods.
    if (copier === undefined || this.stopped || !this.view.namespacesListed() || !this.elector.isLeader()) return;
    if (this.copying !== undefined) {
      this.copyAgain = true;
      return;
    }
    const namespaces = this.view.watchedNamespaces();
    this.copiedFor = namespaces.join(',');
    this.copying = copier
      .sync(namespaces)
      .catch((error: unknown) => this.deps.logger.warn({ err: (error as Error).message }, 'collector secret: sync failed; retried'))
      .finally(() => {
        this.copying = undefined;
        if (this.copyAgain) {
          this.copyAgain = false;
          this.copy();
        }
      });
  }
}
