// Pure: the uninstrumented pods of the opted-in namespaces, grouped by owning workload and reason.
import { ownerOf, timeMs, uninstrumentedReason } from './classify.js';
import type { Finding, PodView } from './types.js';
import { workloadKey } from './types.js';

export interface FindingsInput {
  /** Pods of the namespaces that are opted in and not excluded. */
  readonly pods: Iterable<PodView>;
  readonly preloadImage: string;
}

interface Group {
  owner: Finding['owner'];
  reason: Finding['reason'];
  pods: string[];
  createdMs: number[];
}

/** Findings sorted by namespace, kind, name (the order restarts go in); a workload with any never-seen pod is `not-seen`. */
export function findUninstrumented(input: FindingsInput): Finding[] {
  const groups = new Map<string, Group>();
  for (const pod of input.pods) {
    const reason = uninstrumentedReason(pod, input.preloadImage);
    if (reason !== undefined) addTo(groups, pod, reason);
  }
  return [...groups.entries()]
    .map(([key, g]) => ({ key, owner: g.owner, reason: g.reason, pods: [...g.pods].sort(), createdMs: g.createdMs }))
    .sort((a, b) => compare(a.owner.namespace, b.owner.namespace) || compare(a.owner.kind, b.owner.kind) || compare(a.owner.name, b.owner.name));
}

function addTo(groups: Map<string, Group>, pod: PodView, reason: Finding['reason']): void {
  const owner = ownerOf(pod);
  const key = workloadKey(owner);
  const group = groups.get(key) ?? { owner, reason, pods: [], createdMs: [] };
  groups.set(key, group);
  if (reason === 'not-seen') group.reason = 'not-seen'; // the stronger reason names the group
  group.pods.push(pod.metadata?.name ?? '');
  group.createdMs.push(timeMs(pod.metadata?.creationTimestamp));
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Workload counts by namespace and reason, for the otel_injector.workloads.uninstrumented gauge. */
export function countByNamespaceAndReason(findings: readonly Finding[]): Map<string, { namespace: string; reason: string; count: number }> {
  const counts = new Map<string, { namespace: string; reason: string; count: number }>();
  for (const f of findings) {
    const key = `${f.owner.namespace}\u0000${f.reason}`;
    const entry = counts.get(key) ?? { namespace: f.owner.namespace, reason: f.reason, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return counts;
}
