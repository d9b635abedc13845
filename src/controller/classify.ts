// Pure: is a pod one the webhook handled, and who owns it.
import { ANNOTATION, STATUS_INJECTED, recordedPayloadImage } from '../inject/annotations.js';
import type { Owner, PodView, Reason } from './types.js';

const RESTARTABLE = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Millisecond time of a Kubernetes timestamp (client objects carry Date, raw JSON a string). */
export function timeMs(value: Date | string | undefined): number {
  if (value === undefined) return 0;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Being deleted, or done: nothing to instrument any more. */
function finishing(pod: PodView): boolean {
  const phase = pod.status?.phase;
  return pod.metadata?.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Why this pod counts as uninstrumented, or undefined when it does not: it carries the webhook's status
 * (injected with the current payload image, or skipped for a reason of its own), opted out, or is finishing.
 */
export function uninstrumentedReason(pod: PodView, payloadImage: string): Reason | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  if (finishing(pod) || annotations[ANNOTATION.inject] === 'false') return undefined;
  const status = annotations[ANNOTATION.status];
  if (status === undefined) return 'not-seen';
  if (!status.startsWith(`${STATUS_INJECTED}:`)) return undefined; // skipped, with its reason: the webhook decided
  return recordedPayloadImage(annotations) === payloadImage ? undefined : 'outdated';
}

function replicaSetOwner(ref: { name: string; uid?: string }, namespace: string, labels: Readonly<Record<string, string>> | undefined): Owner {
  const hash = labels?.['pod-template-hash'];
  if (hash !== undefined && ref.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', apiVersion: 'apps/v1', namespace, name: ref.name.slice(0, -(hash.length + 1)), restartable: true, podLabels: labels };
  }
  return { kind: 'ReplicaSet', apiVersion: 'apps/v1', namespace, name: ref.name, uid: ref.uid, restartable: false };
}

/**
 * The pod's controlling owner. A ReplicaSet `<deploy>-<pod-template-hash>` stands for its Deployment
 * (checked later against the Deployment's selector; no access to ReplicaSets is needed); a Job is
 * reported as a Job (its CronJob, if any, is not visible without reading the Job); no owner: a bare pod.
 */
export function ownerOf(pod: PodView): Owner {
  const meta = pod.metadata ?? {};
  const namespace = meta.namespace ?? '';
  const ref = (meta.ownerReferences ?? []).find((o) => o.controller === true);
  if (ref === undefined) return { kind: 'Pod', apiVersion: 'v1', namespace, name: meta.name ?? '', uid: meta.uid, restartable: false };
  if (ref.kind === 'ReplicaSet') return replicaSetOwner(ref, namespace, meta.labels);
  return { kind: ref.kind, apiVersion: ref.apiVersion ?? 'v1', namespace, name: ref.name, uid: ref.uid, restartable: RESTARTABLE.has(ref.kind), podLabels: meta.labels };
}
