import type { InjectConfig } from '../config/index.js';
import type { DeliverySnapshot } from '../k8s/contract/delivery.js';

/*
 * Structural Kubernetes types: only the fields the injector reads or writes are named, every other
 * field is carried through untouched (index signatures), so a pod round-trips without loss.
 */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  envFrom?: unknown[];
  volumeMounts?: VolumeMount[];
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  [field: string]: unknown;
}

export interface OwnerReference {
  kind: string;
  name: string;
  controller?: boolean;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  os?: { name?: string };
  [field: string]: unknown;
}

export interface Pod {
  metadata?: ObjectMeta;
  spec: PodSpec;
  [field: string]: unknown;
}

/** What the webhook knows besides the pod and config: the latest support snapshot, and the time of the review. */
export interface DeliverySupport {
  readonly snapshot: DeliverySnapshot | undefined;
  readonly nowMs: number;
}

/** Everything the pure injector needs besides the pod; all of it comes from the AdmissionReview and config. */
export interface InjectContext {
  /** `request.namespace`: a pod's own metadata.namespace is often empty at admission. */
  readonly namespace: string;
  readonly config: InjectConfig;
  /** The controller's support snapshot and the review's time (INJECT_DELIVERY=auto, image-volume); undefined: none. */
  readonly delivery?: DeliverySupport;
}

export type InjectDecision = 'injected' | 'skipped' | 'bypassed';

export interface InjectResult {
  readonly pod: Pod;
  readonly decision: InjectDecision;
  readonly reason: string;
  /** The delivery chosen in this review (a pod with a payload from an earlier pass has none chosen). */
  readonly delivery?: { readonly delivery: 'init-container' | 'image-volume'; readonly reason: string };
}
