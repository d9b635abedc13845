// Which workload owns a pod, from the pod's metadata alone (no API call), the way the Kubernetes
// controllers name what they create:
//   Deployment  -> ReplicaSet `<deployment>-<pod-template-hash>` (the pods carry the same pod-template-hash label)
//   CronJob     -> Job `<cronjob>-<scheduled time>`: minutes since the epoch (CronJob controller v2, Kubernetes
//                  1.21+), seconds since the epoch (the v1 controller before it)
//   StatefulSet, DaemonSet, a ReplicaSet or Job of its own, any other controller: the controller itself
//   no controller reference: the pod is bare
// Only the reference with `controller: true` counts (metav1.GetControllerOf): other owner references
// (garbage-collection parents) say nothing about who creates the pod.
import { LABEL } from './labels.js';

export interface OwnerReference {
  readonly kind: string;
  readonly name: string;
  readonly uid?: string;
  readonly apiVersion?: string;
  readonly controller?: boolean;
}

/** The part of a pod's metadata owner derivation reads. */
export interface OwnedMeta {
  readonly name?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface PodOwner {
  /** Deployment, ReplicaSet, StatefulSet, DaemonSet, CronJob, Job, another controller's kind, or Pod (a bare pod). */
  readonly kind: string;
  readonly name: string;
  readonly apiVersion: string;
  /** From the owner reference (the pod's own uid for a bare pod); undefined when derived from a name (Deployment, CronJob). */
  readonly uid: string | undefined;
  /** The pod's controller when the workload is one level above it: the ReplicaSet of a Deployment, the Job of a CronJob. */
  readonly via: { readonly kind: 'ReplicaSet' | 'Job'; readonly name: string; readonly uid: string | undefined } | undefined;
}

/** The pod's controlling owner reference (metav1.GetControllerOf); undefined for a bare pod. */
export function controllerRef(meta: OwnedMeta | undefined): OwnerReference | undefined {
  return (meta?.ownerReferences ?? []).find((owner) => owner.controller === true && owner.name !== '');
}

/** The name the Deployment controller gives the ReplicaSet of a pod template with this pod-template-hash. */
export function replicaSetName(deployment: string, podTemplateHash: string): string {
  return `${deployment}-${podTemplateHash}`;
}

/** The name the CronJob controller (v2) gives the Job it starts for this scheduled time: minutes since the epoch. */
export function cronJobJobName(cronJob: string, scheduledAt: Date): string {
  return `${cronJob}-${Math.floor(scheduledAt.getTime() / 60_000)}`;
}

/** The Deployment's name when the ReplicaSet is named `<deployment>-<hash>` after the pods' pod-template-hash. */
export function deploymentOfReplicaSet(replicaSet: string, labels: Readonly<Record<string, string>> | undefined): string | undefined {
  const hash = labels?.[LABEL.podTemplateHash];
  if (hash === undefined || hash === '' || !replicaSet.endsWith(`-${hash}`)) return undefined;
  const deployment = replicaSet.slice(0, -(hash.length + 1));
  return deployment === '' ? undefined : deployment;
}

const CRONJOB_JOB = /^(.+)-(\d{8,})$/;
/**
 * The smallest scheduled-time suffix a CronJob's Job can carry: CronJobs exist since 2016 (24,000,000 minutes
 * after the epoch is 2015-08-19). A smaller number of 8 digits is a date a person wrote (`backup-20261207`).
 */
const FIRST_SCHEDULE_MINUTES = 24_000_000;

/** The CronJob's name when the Job is named `<cronjob>-<scheduled time>` as the CronJob controller names its Jobs. */
export function cronJobOfJob(job: string): string | undefined {
  const match = CRONJOB_JOB.exec(job);
  if (match === null || Number(match[2]) < FIRST_SCHEDULE_MINUTES) return undefined;
  return match[1];
}

/** A ReplicaSet's pod: its Deployment's when named after the pods' pod-template-hash, else the ReplicaSet's own. */
function fromReplicaSet(ref: OwnerReference, labels: OwnedMeta['labels']): PodOwner {
  const deployment = deploymentOfReplicaSet(ref.name, labels);
  if (deployment === undefined) return { kind: ref.kind, name: ref.name, apiVersion: ref.apiVersion ?? 'apps/v1', uid: ref.uid, via: undefined };
  return { kind: 'Deployment', name: deployment, apiVersion: 'apps/v1', uid: undefined, via: { kind: 'ReplicaSet', name: ref.name, uid: ref.uid } };
}

/** A Job's pod: its CronJob's when the Job is named as the CronJob controller names its Jobs, else the Job's own. */
function fromJob(ref: OwnerReference): PodOwner {
  const cronJob = cronJobOfJob(ref.name);
  if (cronJob === undefined) return { kind: ref.kind, name: ref.name, apiVersion: ref.apiVersion ?? 'batch/v1', uid: ref.uid, via: undefined };
  return { kind: 'CronJob', name: cronJob, apiVersion: 'batch/v1', uid: undefined, via: { kind: 'Job', name: ref.name, uid: ref.uid } };
}

/** The workload that owns the pod, derived from its controller reference and labels. */
export function ownerOf(meta: OwnedMeta | undefined): PodOwner {
  const ref = controllerRef(meta);
  if (ref === undefined) return { kind: 'Pod', name: meta?.name ?? '', apiVersion: 'v1', uid: meta?.uid, via: undefined };
  if (ref.kind === 'ReplicaSet') return fromReplicaSet(ref, meta?.labels);
  if (ref.kind === 'Job') return fromJob(ref);
  return { kind: ref.kind, name: ref.name, apiVersion: ref.apiVersion ?? 'v1', uid: ref.uid, via: undefined };
}
