// Workloads in memory for the restarter's tests: merge patches applied as the API server would (the
// resourceVersion checked, the generation moved on a template change), Events recorded, rollouts completed or
// stalled by hand (the Deployment controller's part).
import { RESTART } from '../../src/k8s/contract/annotations.js';
import type { EventRecord } from '../../src/controller/kube.js';
import type { WorkloadObject, WorkloadRef } from '../../src/controller/types.js';

/** RFC 7386 JSON merge patch (what the controller sends). */
function merge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

const keyOf = (r: WorkloadRef): string => `${r.kind}/${r.namespace}/${r.name}`;

/** Workloads by key, patched as the API server would (resourceVersion checked), Events recorded. */
export class FakeKube {
  readonly store = new Map<string, WorkloadObject>();
  readonly events: EventRecord[] = [];
  readonly patches: Array<{ key: string; body: object }> = [];
  failGet = false;
  async getWorkload(ref: WorkloadRef): Promise<WorkloadObject | undefined> {
    if (this.failGet) throw new Error('connection refused');
    return this.store.get(keyOf(ref));
  }
  async patchWorkload(ref: WorkloadRef, body: object): Promise<WorkloadObject> {
    const key = keyOf(ref);
    const w = this.store.get(key);
    if (w === undefined) throw new Error(`${key} not found`);
    const rv = (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (rv !== undefined && rv !== w.metadata?.resourceVersion) throw new Error('Conflict: the object has been modified');
    const templateBefore = JSON.stringify(w.spec?.template);
    const merged = merge(w, body) as WorkloadObject;
    const generation = (w.metadata?.generation ?? 1) + (JSON.stringify(merged.spec?.template) === templateBefore ? 0 : 1);
    const next: WorkloadObject = { ...merged, metadata: { ...merged.metadata, generation, resourceVersion: String(Number(w.metadata?.resourceVersion ?? 0) + 1) } };
    this.store.set(key, next);
    this.patches.push({ key, body });
    return next;
  }
  async recordEvent(event: EventRecord): Promise<void> { this.events.push(event); }
  /** The Deployment controller's part: the rollout of the current generation completes, or hits its deadline. */
  complete(key: string): void {
    const w = this.store.get(key) as WorkloadObject;
    const g = w.metadata?.generation ?? 1;
    this.store.set(key, { ...w, status: { observedGeneration: g, replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 } });
  }
  stall(key: string): void {
    const w = this.store.get(key) as WorkloadObject;
    this.store.set(key, { ...w, status: { observedGeneration: w.metadata?.generation, replicas: 2, updatedReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' }] } });
  }
  restartedAt(key: string): string | undefined { return this.store.get(key)?.spec?.template?.metadata?.annotations?.[RESTART.restartedAt]; }
  state(key: string): string | undefined { return this.store.get(key)?.metadata?.annotations?.[RESTART.state]; }
}

export function deployment(name: string, extra: { template?: Record<string, string>; paused?: boolean } = {}): WorkloadObject {
  return {
    metadata: { name, namespace: 'shop', generation: 1, resourceVersion: '1' },
    spec: { replicas: 1, paused: extra.paused, selector: { matchLabels: { app: name } }, template: { metadata: { annotations: extra.template } } },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 },
  };
}

