// Pure: is a pod one the webhook handled, and who owns it (the Kubernetes contract's rule, with what the
// controller may do to that owner).
import { ANNOTATION, recordedPayloadImage } from '../k8s/contract/annotations.js';
import { ownerOf as workloadOwnerOf } from '../k8s/contract/owner.js';
import { parseStatus, STATUS_INJECTED } from '../k8s/contract/status.js';
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
  if (parseStatus(status)?.state !== STATUS_INJECTED) return undefined; // skipped, with its reason: the webhook decided
  return recordedPayloadImage(annotations) === payloadImage ? undefined : 'outdated';
}

/**
 * The pod's owning workload (src/k8s/contract/owner.ts): a ReplicaSet `<deploy>-<pod-template-hash>`
 * stands for its Deployment and a Job `<cronjob>-<scheduled time>` for its CronJob, derived from names
 * (no access to ReplicaSets or Jobs is needed; a Deployment is checked later against its selector);
 * no controller: the bare pod. Only Deployments, StatefulSets and DaemonSets are restartable.
 */
export function ownerOf(pod: PodView): Owner {
  const meta = pod.metadata ?? {};
  const namespace = meta.namespace ?? '';
  const { kind, name, apiVersion, uid } = workloadOwnerOf(meta);
  const restartable = RESTARTABLE.has(kind);
  // before a restart, the pods' labels are checked against the workload's selector (is it really their owner?)
  return restartable ? { kind, apiVersion, namespace, name, uid, restartable, podLabels: meta.labels } : { kind, apiVersion, namespace, name, uid, restartable };
}
