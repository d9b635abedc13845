// The controller: informers on every replica keep the picture of the opted-in namespaces' pods; only the
// Lease holder computes the findings, reports them (Events, summary, gauge) and, in restart mode, restarts.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { RESTART } from './annotations.js';
import { ownerOf } from './classify.js';
import { findUninstrumented } from './findings.js';
import type { ControllerKube } from './kube.js';
import { LeaderElector } from './leader.js';
import type { WebhookProbe } from './probe.js';
import { Reporter } from './report.js';
import { Restarter } from './restarter.js';
import type { Finding, Owner } from './types.js';
import { workloadKey } from './types.js';
import { ClusterView } from './watch.js';

export interface ControllerDeps {
  readonly kube: ControllerKube;
  readonly probe: WebhookProbe;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often rollouts are followed and limits re-checked (also run at once on every change); default 1000. */
  readonly tickMs?: number;
}

export class Controller {
  private readonly view: ClusterView;
  private readonly elector: LeaderElector;
  private readonly reporter: Reporter;
  private readonly restarter: Restarter;
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
    this.view = new ClusterView(deps.kube, `${c.namespaceLabel.key}=${c.namespaceLabel.value}`, new Set(c.excludeNamespaces), () => this.kick(), logger);
    this.elector = new LeaderElector(deps.kube.lease, { namespace: config.certs.namespace, name: c.leaseName, identity: c.identity, durationSeconds: c.leaseDurationSeconds }, deps.clock, logger);
    this.reporter = new Reporter(mode, (event) => deps.kube.recordEvent(event, deps.clock.now()), logger);
    this.restarter = new Restarter(c, { kube: deps.kube, probe: deps.probe, clock: deps.clock, logger });
    this.elector.onChange((leading) => {
      if (leading) this.restarter.begin();
      else this.reporter.reset();
      this.kick();
    });
  }

  async start(): Promise<void> {
    const c = this.config.controller;
    this.deps.logger.info({ mode: c.mode, dryRun: c.dryRun, maxConcurrent: c.maxConcurrent, minIntervalSeconds: c.minIntervalSeconds, namespaceLabel: `${c.namespaceLabel.key}=${c.namespaceLabel.value}` }, 'controller starting');
    await this.view.start();
    await this.elector.tick();
    this.timers.push(setInterval(() => void this.elector.tick(), this.elector.periodMs));
    this.timers.push(setInterval(() => this.kick(), this.deps.tickMs ?? 1000));
    this.kick();
  }

  /** Stops acting, gives the Lease up for a fast handover, stops the watches. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.running;
    await this.elector.release();
    await this.view.stop();
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
    if (!this.view.synced() || !this.elector.isLeader()) return;
    try {
      const pods = [...this.view.allPods()];
      const findings = findUninstrumented({ pods, preloadImage: this.config.inject.preloadImage });
      await this.reporter.update(findings);
      if (this.config.controller.mode !== 'restart') return;
      await this.restarter.adopt(restartedOwners(pods));
      await this.restarter.step(findings);
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'controller: round failed; retried');
    }
  }
}

/** Restartable owners of pods that carry our restart annotation (rollouts a previous leader may have started). */
function restartedOwners(pods: Iterable<{ metadata?: { annotations?: Readonly<Record<string, string>> } }>): Owner[] {
  const owners = new Map<string, Owner>();
  for (const pod of pods) {
    if (pod.metadata?.annotations?.[RESTART.restartedAt] === undefined) continue;
    const owner = ownerOf(pod);
    if (owner.restartable) owners.set(workloadKey(owner), owner);
  }
  return [...owners.values()];
}
