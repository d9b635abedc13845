// The findings, kept up to date pod event by pod event instead of recomputed from every pod: a pod event
// moves one pod in or out of one workload's group, and only that group's finding is rebuilt when the
// findings are next asked for. Same result as findUninstrumented over the same pods (a property test
// checks it). Also keeps the restartable owners of pods that carry our restart annotation (rollouts a
// previous leader may have started), with a version that changes when a new one appears.
import { RESTART } from '../k8s/contract/annotations.js';
import { ownerOf, uninstrumentedReason } from './classify.js';
import { compareFindings, toFinding, type Member } from './findings.js';
import type { Finding, Owner, PodView } from './types.js';
import { workloadKey } from './types.js';

interface Placed {
  readonly key: string;
  readonly member: Member;
}

export class FindingsIndex {
  /** Workload key -> pod name -> the uninstrumented pod. */
  private readonly groups = new Map<string, Map<string, Member>>();
  private readonly dirty = new Set<string>();
  private readonly built = new Map<string, Finding>();
  private sorted: readonly Finding[] = [];
  private readonly restarted = new Map<string, { owner: Owner; pods: number }>();
  private changes = 0;
  private restartedChanges = 0;

  constructor(private readonly payloadImage: string) {}

  /** Bumped on every change to the findings. */
  get version(): number {
    return this.changes;
  }

  /** Bumped when a new owner of restart-annotated pods appears. */
  get restartedVersion(): number {
    return this.restartedChanges;
  }

  /** One pod event: (undefined, pod) added, (old, pod) updated, (old, undefined) deleted. */
  apply(old: PodView | undefined, next: PodView | undefined): void {
    const before = this.place(old);
    const after = this.place(next);
    this.countRestarted(next, 1);
    this.countRestarted(old, -1);
    if (before !== undefined && after !== undefined && sameFinding(before, after)) {
      this.groups.get(after.key)?.set(podName(next), after.member); // nothing a finding shows changed
      return;
    }
    if (before !== undefined) this.leave(before.key, podName(old));
    if (after !== undefined) this.join(after.key, podName(next), after.member);
  }

  /** The current findings, sorted as findUninstrumented sorts them; the same array until something changes. */
  findings(): readonly Finding[] {
    if (this.dirty.size === 0) return this.sorted;
    let reorder = false;
    for (const key of this.dirty) {
      const members = this.groups.get(key);
      reorder ||= this.built.has(key) !== (members !== undefined);
      if (members === undefined) this.built.delete(key);
      else this.built.set(key, toFinding(key, [...members.values()]));
    }
    this.dirty.clear();
    this.sorted = reorder ? [...this.built.values()].sort(compareFindings) : this.sorted.map((f) => this.built.get(f.key) ?? f);
    return this.sorted;
  }

  /** Restartable owners of pods carrying our `restarted-at` annotation. */
  restartedOwners(): Owner[] {
    return [...this.restarted.values()].map((r) => r.owner);
  }

  private place(pod: PodView | undefined): Placed | undefined {
    if (pod === undefined) return undefined;
    const reason = uninstrumentedReason(pod, this.payloadImage);
    return reason === undefined ? undefined : { key: workloadKey(ownerOf(pod)), member: { pod, reason } };
  }

  private join(key: string, name: string, member: Member): void {
    let members = this.groups.get(key);
    if (members === undefined) {
      members = new Map();
      this.groups.set(key, members);
    }
    members.set(name, member);
    this.touch(key);
  }

  private leave(key: string, name: string): void {
    const members = this.groups.get(key);
    if (members?.delete(name) !== true) return;
    if (members.size === 0) this.groups.delete(key);
    this.touch(key);
  }

  private touch(key: string): void {
    this.dirty.add(key);
    this.changes++;
  }

  private countRestarted(pod: PodView | undefined, delta: 1 | -1): void {
    if (pod?.metadata?.annotations?.[RESTART.restartedAt] === undefined) return;
    const owner = ownerOf(pod);
    if (!owner.restartable) return;
    const key = workloadKey(owner);
    const entry = this.restarted.get(key);
    if (entry === undefined) {
      if (delta < 0) return;
      this.restarted.set(key, { owner, pods: 1 });
      this.restartedChanges++;
      return;
    }
    entry.pods += delta;
    if (entry.pods <= 0) this.restarted.delete(key);
  }
}

const podName = (pod: PodView | undefined): string => pod?.metadata?.name ?? '';

/** Same group, reason, creation time and owner-deciding fields: the finding would be rebuilt identical. */
function sameFinding(a: Placed, b: Placed): boolean {
  const x = a.member.pod.metadata ?? {};
  const y = b.member.pod.metadata ?? {};
  return a.key === b.key && a.member.reason === b.member.reason && x.name === y.name && x.creationTimestamp === y.creationTimestamp
    && x.uid === y.uid && x.labels === y.labels && x.ownerReferences === y.ownerReferences;
}
