import { LABEL } from './annotations.js';
import type { ObjectMeta, OwnerReference } from './types.js';

/** The Kubernetes workload a pod belongs to, derived from its owner reference and labels alone. */
export interface Workload {
  /** Kind that names the service: Deployment, ReplicaSet, StatefulSet, DaemonSet, CronJob, Job, or undefined. */
  readonly kind: string | undefined;
  readonly name: string | undefined;
  /** Kind of the direct controller owner (ReplicaSet for a Deployment's pod). */
  readonly ownerKind: string | undefined;
  /** k8s.* resource attributes for the workload, e.g. k8s.deployment.name and k8s.replicaset.name. */
  readonly attributes: ReadonlyArray<readonly [string, string]>;
}

// A CronJob's Job is named `<cronjob>-<scheduled time in minutes since the epoch>`.
const CRONJOB_JOB = /^(.+)-(\d{8,})$/;

function controllerOf(meta: ObjectMeta | undefined): OwnerReference | undefined {
  const owners = meta?.ownerReferences ?? [];
  return owners.find((owner) => owner.controller === true) ?? owners[0];
}

function fromReplicaSet(name: string, meta: ObjectMeta | undefined): Workload {
  const hash = meta?.labels?.[LABEL.podTemplateHash];
  const attributes: Array<readonly [string, string]> = [];
  let deployment: string | undefined;
  if (hash !== undefined && hash !== '' && name.endsWith(`-${hash}`)) {
    deployment = name.slice(0, -(hash.length + 1));
    attributes.push(['k8s.deployment.name', deployment]);
  }
  attributes.push(['k8s.replicaset.name', name]);
  return deployment === undefined
    ? { kind: 'ReplicaSet', name, ownerKind: 'ReplicaSet', attributes }
    : { kind: 'Deployment', name: deployment, ownerKind: 'ReplicaSet', attributes };
}

function fromJob(name: string): Workload {
  const match = CRONJOB_JOB.exec(name);
  const cronJob = match?.[1];
  if (cronJob === undefined) return { kind: 'Job', name, ownerKind: 'Job', attributes: [['k8s.job.name', name]] };
  return {
    kind: 'CronJob',
    name: cronJob,
    ownerKind: 'Job',
    attributes: [
      ['k8s.cronjob.name', cronJob],
      ['k8s.job.name', name],
    ],
  };
}

const SIMPLE_KINDS: Record<string, string> = {
  StatefulSet: 'k8s.statefulset.name',
  DaemonSet: 'k8s.daemonset.name',
};

/** Derives the owning workload (Deployment from a ReplicaSet owner plus pod-template-hash, CronJob from its Job). */
export function workloadOf(meta: ObjectMeta | undefined): Workload {
  const owner = controllerOf(meta);
  if (owner === undefined || owner.name === '') {
    return { kind: undefined, name: undefined, ownerKind: undefined, attributes: [] };
  }
  if (owner.kind === 'ReplicaSet') return fromReplicaSet(owner.name, meta);
  if (owner.kind === 'Job') return fromJob(owner.name);
  const attribute = SIMPLE_KINDS[owner.kind];
  if (attribute !== undefined) {
    return { kind: owner.kind, name: owner.name, ownerKind: owner.kind, attributes: [[attribute, owner.name]] };
  }
  return { kind: undefined, name: undefined, ownerKind: owner.kind, attributes: [] };
}

/** The pod's own name, or its generateName stem (`api-7d9f-` → `api-7d9f`). */
export function podNameOf(meta: ObjectMeta | undefined): string | undefined {
  if (meta?.name !== undefined && meta.name !== '') return meta.name;
  const stem = meta?.generateName?.replace(/-+$/, '');
  return stem === undefined || stem === '' ? undefined : stem;
}
