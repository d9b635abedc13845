// What the controller tells the user about uninstrumented workloads: one Event per workload and reason
// (a stable Event name, so another report or another leader updates it instead of adding one), one
// condition-style summary log line whenever the picture changes, and the gauge's numbers.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { EVENT } from '../k8s/contract/events.js';
import { countByNamespaceAndReason } from './findings.js';
import type { EventRecord } from './kube.js';
import type { Finding, Owner } from './types.js';

const REASON_TEXT: Record<Finding['reason'], string> = {
  'not-seen': 'created without the webhook (the namespace was labelled later, or the webhook was unavailable)',
  outdated: 'instrumented with an older payload image',
};

/** A DNS-subdomain Event name, stable for one owner and event reason. */
export function eventName(owner: Pick<Owner, 'kind' | 'name'>, reason: string): string {
  const hash = createHash('sha256').update(`${owner.kind}/${owner.name}/${reason}`).digest('hex').slice(0, 10);
  return `${owner.name.slice(0, 200)}.otel-injector.${hash}`;
}

export function involved(owner: Owner): EventRecord['involved'] {
  return { kind: owner.kind, namespace: owner.namespace, name: owner.name, uid: owner.uid, apiVersion: owner.apiVersion };
}

function podList(pods: readonly string[]): string {
  return pods.length <= 3 ? pods.join(', ') : `${pods.slice(0, 3).join(', ')} and ${pods.length - 3} more`;
}

/** What the user should do (report mode) or what the controller will do (restart mode). */
export function advice(owner: Owner, mode: 'report' | 'restart'): string {
  if (!owner.restartable) return `a ${owner.kind} is never restarted by otel-injector: recreate its pods to instrument them`;
  if (mode === 'restart') return 'otel-injector restarts it (controller mode restart)';
  return `run \`kubectl rollout restart ${owner.kind.toLowerCase()}/${owner.name} -n ${owner.namespace}\` to instrument them, or set controller.mode=restart`;
}

export function uninstrumentedEvent(f: Finding, mode: 'report' | 'restart'): EventRecord {
  const count = f.pods.length === 1 ? '1 pod' : `${f.pods.length} pods`;
  return {
    involved: involved(f.owner),
    name: eventName(f.owner, EVENT.uninstrumented),
    reason: EVENT.uninstrumented,
    type: 'Normal',
    message: `${count} not instrumented by otel-injector (${f.reason}: ${REASON_TEXT[f.reason]}): ${podList(f.pods)}; ${advice(f.owner, mode)}`,
  };
}

export class Reporter {
  private emitted = new Map<string, string>();
  private lastSummary = '';
  private current: readonly Finding[] = [];

  constructor(
    private readonly mode: 'report' | 'restart',
    private readonly record: (event: EventRecord) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Findings of the last update (for the gauge); empty while not the leader. */
  findings(): readonly Finding[] {
    return this.current;
  }

  /** Leader only: Events for new or changed findings, and the summary line when anything changed; false if an Event could not be recorded (call again). */
  async update(findings: readonly Finding[]): Promise<boolean> {
    let recorded = true;
    this.current = findings;
    this.logSummary(findings);
    const seen = new Set<string>();
    for (const f of findings) {
      const event = uninstrumentedEvent(f, this.mode);
      seen.add(f.key);
      if (this.emitted.get(f.key) === event.message) continue;
      try {
        await this.record(event);
        this.emitted.set(f.key, event.message);
      } catch (error) {
        this.logger.warn({ workload: f.key, err: (error as Error).message }, 'could not record the Uninstrumented event');
        recorded = false;
      }
    }
    for (const key of this.emitted.keys()) if (!seen.has(key)) this.emitted.delete(key);
    return recorded;
  }

  /** Not the leader any more: the next term starts afresh (stable Event names avoid duplicates). */
  reset(): void {
    this.emitted = new Map();
    this.current = [];
    this.lastSummary = '';
  }

  private logSummary(findings: readonly Finding[]): void {
    const workloads = findings.map((f) => ({ namespace: f.owner.namespace, kind: f.owner.kind, name: f.owner.name, reason: f.reason, pods: f.pods.length }));
    const text = JSON.stringify(workloads);
    if (text === this.lastSummary) return;
    this.lastSummary = text;
    const byReason = Object.fromEntries([...countByNamespaceAndReason(findings).values()].map((c) => [`${c.namespace}/${c.reason}`, c.count]));
    const condition = findings.length === 0
      ? { type: 'AllPodsInstrumented', status: 'True', reason: 'AllSeen', message: 'every pod of the opted-in namespaces was handled by the webhook' }
      : { type: 'AllPodsInstrumented', status: 'False', reason: 'PodsNotInstrumented', message: `${findings.length} workload(s) have pods otel-injector did not instrument` };
    this.logger.info({ condition, byReason, workloads }, `controller: ${condition.message}`);
  }
}
