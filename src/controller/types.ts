// Shapes the controller works on: only the fields it reads, so tests build them as plain objects.

export type RestartableKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
/** Why a pod counts as uninstrumented. */
export type Reason = 'not-seen' | 'outdated';

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: Date | string;
  readonly deletionTimestamp?: Date | string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: ReadonlyArray<{ readonly kind: string; readonly name: string; readonly uid?: string; readonly controller?: boolean; readonly apiVersion?: string }>;
}

export interface PodView {
  readonly metadata?: ObjectMeta;
  readonly status?: { readonly phase?: string };
}

export interface NamespaceView {
  readonly metadata?: ObjectMeta;
}

/** Who owns an uninstrumented pod, as far as the pod tells (src/k8s/contract/owner.ts), and what the controller may do. */
export interface Owner {
  /** Deployment, StatefulSet, DaemonSet (restartable), or ReplicaSet, Job, CronJob, Pod (bare), or any other controller kind. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Known from the owner reference (not for a Deployment or CronJob, derived from their ReplicaSet's or Job's name). */
  readonly uid?: string;
  readonly restartable: boolean;
  readonly apiVersion: string;
  /** Restartable kinds: the pod's labels, checked against the workload's selector before a restart. */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/** One workload with pods the webhook did not instrument, and why. */
export interface Finding {
  readonly key: string;
  readonly owner: Owner;
  readonly reason: Reason;
  readonly pods: readonly string[];
  /** Creation times of those pods (ms since epoch). */
  readonly createdMs: readonly number[];
}

/** A workload object as the API returns it (apps/v1 Deployment, StatefulSet or DaemonSet). */
export interface WorkloadObject {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly replicas?: number;
    readonly paused?: boolean;
    readonly selector?: { readonly matchLabels?: Readonly<Record<string, string>>; readonly matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: string[] }> };
    readonly updateStrategy?: { readonly type?: string; readonly rollingUpdate?: { readonly partition?: number; readonly maxUnavailable?: unknown } };
    readonly template?: { readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> } };
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
    readonly readyReplicas?: number;
    readonly currentRevision?: string;
    readonly updateRevision?: string;
    readonly desiredNumberScheduled?: number;
    readonly updatedNumberScheduled?: number;
    readonly numberAvailable?: number;
    readonly conditions?: ReadonlyArray<{ readonly type?: string; readonly status?: string; readonly reason?: string; readonly message?: string }>;
  };
}

export interface WorkloadRef {
  readonly kind: RestartableKind;
  readonly namespace: string;
  readonly name: string;
}

export const workloadKey = (w: { kind: string; namespace: string; name: string }): string => `${w.kind}/${w.namespace}/${w.name}`;
