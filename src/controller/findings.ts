// Pure: the uninstrumented pods of the opted-in namespaces, grouped by owning workload and reason.
import { ownerOf, timeMs, uninstrumentedReason } from './classify.js';
import type { Finding, PodView, Reason } from './types.js';
import { workloadKey } from './types.js';

export interface FindingsInput {
  /** Pods of the namespaces that are opted in and not excluded. */
  readonly pods: Iterable<PodView>;
  readonly payloadImage: string;
}

/** An uninstrumented pod and why. */
export interface Member {
  readonly pod: PodView;
  readonly reason: Reason;
}

/**
 * The full recompute: findings sorted by namespace, kind, name (the order restarts go in); a workload
 * with any never-seen pod is `not-seen`. FindingsIndex (findings-index.ts) keeps the same result up to
 * date pod event by pod event; this is what it is checked against.
 */
export function findUninstrumented(input: FindingsInput): Finding[] {
  const groups = new Map<string, Member[]>();
  for (const pod of input.pods) {
    const reason = uninstrumentedReason(pod, input.payloadImage);
    if (reason === undefined) continue;
    const key = workloadKey(ownerOf(pod));
    const members = groups.get(key) ?? [];
    groups.set(key, members);
    members.push({ pod, reason });
  }
  return sortFindings([...groups.entries()].map(([key, members]) => toFinding(key, members)));
}

const nameOf = (m: Member): string => m.pod.metadata?.name ?? '';

/** One workload's finding from its uninstrumented pods: pods by name, the owner as the first pod tells it. */
export function toFinding(key: string, members: readonly Member[]): Finding {
  const sorted = [...members].sort((a, b) => compare(nameOf(a), nameOf(b)));
  const first = sorted[0];
  if (first === undefined) throw new Error(`no pods for ${key}`);
  return {
    key,
    owner: ownerOf(first.pod),
    reason: sorted.some((m) => m.reason === 'not-seen') ? 'not-seen' : 'outdated', // the stronger reason names the group
    pods: sorted.map(nameOf),
    createdMs: sorted.map((m) => timeMs(m.pod.metadata?.creationTimestamp)),
  };
}

export function compareFindings(a: Finding, b: Finding): number {
  return compare(a.owner.namespace, b.owner.namespace) || compare(a.owner.kind, b.owner.kind) || compare(a.owner.name, b.owner.name);
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(compareFindings);
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
