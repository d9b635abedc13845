// The workload of a pod as OpenTelemetry resource attributes (k8s.deployment.name, k8s.replicaset.name,
// ...) and as the service name's fallback. Which workload owns the pod is the Kubernetes contract's
// rule (src/k8s/contract/owner.ts); this file only maps it to the semantic conventions.
import { ownerOf } from '../k8s/contract/owner.js';
import type { ObjectMeta } from './types.js';

/** The Kubernetes workload a pod belongs to, as the webhook uses it. */
export interface Workload {
  /** Deployment, ReplicaSet, StatefulSet, DaemonSet, CronJob, Job; undefined for a bare pod or another controller's. */
  readonly kind: string | undefined;
  readonly name: string | undefined;
  /** k8s.* resource attributes for the workload, e.g. k8s.deployment.name and k8s.replicaset.name. */
  readonly attributes: ReadonlyArray<readonly [string, string]>;
}

/** The k8s.<kind>.name attribute of each kind the semantic conventions name. */
const ATTRIBUTE: Readonly<Record<string, string>> = {
  Deployment: 'k8s.deployment.name',
  ReplicaSet: 'k8s.replicaset.name',
  StatefulSet: 'k8s.statefulset.name',
  DaemonSet: 'k8s.daemonset.name',
  CronJob: 'k8s.cronjob.name',
  Job: 'k8s.job.name',
};

/** The owning workload with its attributes: a Deployment's pod also names its ReplicaSet, a CronJob's its Job. */
export function workloadOf(meta: ObjectMeta | undefined): Workload {
  const owner = ownerOf(meta);
  const attribute = ATTRIBUTE[owner.kind];
  if (attribute === undefined) return { kind: undefined, name: undefined, attributes: [] };
  const attributes: Array<readonly [string, string]> = [[attribute, owner.name]];
  const via = owner.via === undefined ? undefined : ATTRIBUTE[owner.via.kind];
  if (via !== undefined && owner.via !== undefined) attributes.push([via, owner.via.name]);
  return { kind: owner.kind, name: owner.name, attributes };
}

/** The pod's own name, or its generateName stem (`api-7d9f-` → `api-7d9f`). */
export function podNameOf(meta: ObjectMeta | undefined): string | undefined {
  if (meta?.name !== undefined && meta.name !== '') return meta.name;
  const stem = meta?.generateName?.replace(/-+$/, '');
  return stem === undefined || stem === '' ? undefined : stem;
}
