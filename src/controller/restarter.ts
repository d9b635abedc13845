// restart mode: roll the owning Deployment/StatefulSet/DaemonSet of uninstrumented pods, in order, under
// the limits: at most maxConcurrent rolling at once, minInterval between starts, nothing while the
// webhook is not ready, every rollout waited for (complete, or failed/timed out: then stop and report).
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ControllerConfig } from '../config/index.js';
import { RESTART } from '../k8s/contract/annotations.js';
import { EVENT } from '../k8s/contract/events.js';
import type { ControllerKube, EventRecord } from './kube.js';
import type { WebhookProbe } from './probe.js';
import { eventName, involved } from './report.js';
import { decide, endPatch, restartedAtMs, restartPatch, rolloutStatus } from './rollout.js';
import type { Finding, Owner, RestartableKind, WorkloadObject, WorkloadRef } from './types.js';
import { workloadKey } from './types.js';

interface Rolling {
  readonly ref: WorkloadRef;
  readonly owner: Owner;
  readonly startedMs: number; // wall time of the restart (the template annotation)
}

export interface RestarterDeps {
  readonly kube: ControllerKube;
  readonly probe: WebhookProbe;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The pods a finding was decided for; a finding object is kept until its pods change, so this is computed once per change. */
const signatures = new WeakMap<Finding, string>();
function signatureOf(f: Finding): string {
  let signature = signatures.get(f);
  if (signature === undefined) {
    signature = f.pods.join(',');
    signatures.set(f, signature);
  }
  return signature;
}

const refOf = (owner: Owner): WorkloadRef => ({ kind: owner.kind as RestartableKind, namespace: owner.namespace, name: owner.name });

export class Restarter {
  private readonly rolling = new Map<string, Rolling>();
  private lastStartMono: number | undefined;
  /** The workload whose failed restart stops all restarts, until its restart-state annotation is removed. */
  private halted: { readonly ref: WorkloadRef; readonly message: string } | undefined;
  private readonly said = new Map<string, string>();
  private readonly checked = new Set<string>();
  /** Findings decided "leave it" and the pods they were decided for: not fetched again until those change. */
  private readonly settled = new Map<string, string>();

  constructor(
    private readonly config: ControllerConfig,
    private readonly deps: RestarterDeps,
  ) {}

  /** A new leadership term: the previous leader's last start is unknown, so wait a full interval first. */
  begin(): void {
    this.rolling.clear();
    this.said.clear();
    this.checked.clear();
    this.settled.clear();
    this.halted = undefined;
    this.lastStartMono = this.deps.clock.monotonicMs();
  }

  rollingCount(): number {
    return this.rolling.size;
  }

  /**
   * A rollout a previous leader started may have no uninstrumented pods left to point at it: the owners
   * of pods carrying our `restarted-at` are checked once per term, and followed if still rolling.
   */
  async adopt(owners: Iterable<Owner>): Promise<void> {
    for (const owner of owners) {
      const key = workloadKey(owner);
      if (this.checked.has(key) || this.rolling.has(key)) continue;
      this.checked.add(key);
      const w = await this.deps.kube.getWorkload(refOf(owner)).catch(() => undefined);
      if (w?.metadata?.annotations?.[RESTART.state] === 'rolling') this.follow1(key, owner, w);
    }
  }

  private follow1(key: string, owner: Owner, w: WorkloadObject): void {
    this.rolling.set(key, { ref: refOf(owner), owner, startedMs: restartedAtMs(w) });
    this.deps.logger.info({ workload: key }, 'controller: following a rollout started earlier (adopted)');
  }

  /** One step: follow the rollouts under way, then start what the limits allow. */
  async step(findings: readonly Finding[]): Promise<void> {
    await this.follow();
    if (await this.stillHalted()) return;
    for (const f of findings) {
      if (!f.owner.restartable || this.rolling.has(f.key)) continue;
      if (!(await this.consider(f))) break;
    }
  }

  /** Handles one finding; false when the limits say: no more starts this step. */
  private async consider(f: Finding): Promise<boolean> {
    const signature = signatureOf(f);
    if (this.settled.get(f.key) === signature) return true;
    const ref = refOf(f.owner);
    const w = await this.deps.kube.getWorkload(ref);
    if (w === undefined) {
      this.settle(f, signature, `${f.key}: no such ${f.owner.kind}; its pods are reported only`);
      return true;
    }
    if (w.metadata?.annotations?.[RESTART.state] === 'failed') {
      this.halted = { ref, message: `restarts stopped: an earlier restart of ${f.key} failed; remove the annotation ${RESTART.state} from it to go on` };
      return false;
    }
    const decision = decide(w, f);
    if (decision.action === 'skip') this.settle(f, signature, `${f.key}: not restarted: ${decision.why}`);
    if (decision.action === 'adopt') this.follow1(f.key, f.owner, w);
    if (decision.action !== 'restart') return true;
    return this.startWithinLimits(f, signature, ref, w);
  }

  /** The limits, the dry run and the webhook's readiness, then the restart. */
  private async startWithinLimits(f: Finding, signature: string, ref: WorkloadRef, w: WorkloadObject): Promise<boolean> {
    if (this.rolling.size >= this.config.maxConcurrent) return false;
    const sinceMs = this.lastStartMono === undefined ? Infinity : this.deps.clock.monotonicMs() - this.lastStartMono;
    if (sinceMs < this.config.minIntervalSeconds * 1000) return false;
    if (this.config.dryRun) {
      this.settle(f, signature, `${f.key}: dry run: would restart it (${f.reason}: ${f.pods.length} pod(s))`);
      return true;
    }
    const probe = await this.deps.probe();
    if (!probe.ready) {
      this.sayOnce('webhook', `restarts wait: the webhook is not ready (${probe.detail})`, 'warn');
      return false;
    }
    this.said.delete('webhook');
    return this.start(f, ref, w);
  }

  private async start(f: Finding, ref: WorkloadRef, w: WorkloadObject): Promise<boolean> {
    const now = this.deps.clock.now();
    try {
      await this.deps.kube.patchWorkload(ref, restartPatch(w, f.reason, now));
    } catch (error) {
      this.deps.logger.warn({ workload: f.key, err: (error as Error).message }, 'controller: restart patch refused; retried next round');
      return false;
    }
    this.lastStartMono = this.deps.clock.monotonicMs();
    this.rolling.set(f.key, { ref, owner: f.owner, startedMs: now.getTime() });
    this.deps.logger.info({ workload: f.key, reason: f.reason, pods: f.pods.length, rolling: this.rolling.size }, `controller: restarting ${f.key} (${f.reason})`);
    await this.event(f.owner, EVENT.restart, 'Normal', `otel-injector restarts this ${f.owner.kind}: ${f.pods.length} pod(s) not instrumented (${f.reason})`);
    return true;
  }

  /** Halted, unless the failed workload's state annotation was removed (or it is gone): then resume. */
  private async stillHalted(): Promise<boolean> {
    if (this.halted === undefined) return false;
    const w = await this.deps.kube.getWorkload(this.halted.ref).catch(() => 'error' as const);
    if (w === 'error' || w?.metadata?.annotations?.[RESTART.state] === 'failed') {
      this.sayOnce('halt', this.halted.message, 'warn');
      return true;
    }
    this.deps.logger.info({ workload: workloadKey(this.halted.ref) }, 'controller: restarts resume (the failed state was cleared)');
    this.said.delete('halt');
    this.halted = undefined;
    return false;
  }

  /** Polls every rollout under way; records done or failed on the workload. */
  private async follow(): Promise<void> {
    for (const [key, r] of this.rolling) {
      const w = await this.deps.kube.getWorkload(r.ref).catch(() => 'error' as const);
      if (w === 'error') continue; // API trouble: try again next step
      const status = w === undefined ? { state: 'failed' as const, message: 'the workload was deleted' } : rolloutStatus(r.ref.kind, w);
      const overdue = this.deps.clock.now().getTime() - r.startedMs > this.config.rolloutTimeoutSeconds * 1000;
      if (status.state === 'complete') await this.finish(key, r, 'done', 'rollout complete');
      else if (status.state === 'failed' || overdue) {
        const why = status.state === 'failed' ? status.message : `not complete after ${this.config.rolloutTimeoutSeconds} s`;
        await this.finish(key, r, 'failed', why);
        this.halted = { ref: r.ref, message: `restarts stopped: the rollout of ${key} failed (${why}); remove the annotation ${RESTART.state} from it to go on` };
      }
    }
  }

  private async finish(key: string, r: Rolling, state: 'done' | 'failed', why: string): Promise<void> {
    this.rolling.delete(key);
    try {
      await this.deps.kube.patchWorkload(r.ref, endPatch(state, this.deps.clock.now()));
    } catch (error) {
      this.deps.logger.warn({ workload: key, err: (error as Error).message }, 'controller: could not record the end of the rollout');
    }
    if (state === 'done') {
      this.deps.logger.info({ workload: key }, `controller: ${key} restarted: ${why}`);
      await this.event(r.owner, EVENT.restarted, 'Normal', `otel-injector restart complete: ${why}`);
    } else {
      this.deps.logger.warn({ workload: key, why }, `controller: the restart of ${key} failed: ${why}`);
      await this.event(r.owner, EVENT.failed, 'Warning', `otel-injector restart failed: ${why}; no further restarts until the annotation ${RESTART.state} is removed`);
    }
  }

  private async event(owner: Owner, reason: string, type: EventRecord['type'], message: string): Promise<void> {
    try {
      await this.deps.kube.recordEvent({ involved: involved(owner), name: eventName(owner, reason), reason, type, message }, this.deps.clock.now());
    } catch (error) {
      this.deps.logger.warn({ reason, err: (error as Error).message }, 'controller: could not record an event');
    }
  }

  private settle(f: Finding, signature: string, message: string): void {
    this.settled.set(f.key, signature);
    this.sayOnce(f.key, message);
  }

  private sayOnce(key: string, message: string, level: 'info' | 'warn' = 'info'): void {
    if (this.said.get(key) === message) return;
    this.said.set(key, message);
    this.deps.logger[level]({ key }, `controller: ${message}`);
  }
}
