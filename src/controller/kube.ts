// The controller's API access on @kubernetes/client-node: list/watch sources for namespaces and pods
// (listwatch-http.ts), get/patch of the three workload kinds, Events, and the Lease. Errors become
// KubeApiError (Status message only).
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import { kubeCall, kubeFind } from '../k8s/contract/api.js';
import { KubeApiError } from '../k8s/errors.js';
import { KubeHttp } from './listwatch-http.js';
import type { LeaseApi, LeaseRecord, ListWatchSource } from './ports.js';
import type { RestartableKind, WorkloadObject, WorkloadRef } from './types.js';

const FIELD_MANAGER = 'otel-injector-controller';
/** Pods that are not finished: a Succeeded or Failed pod is never uninstrumented (classify.ts). */
export const RUNNING_PODS = 'status.phase!=Succeeded,status.phase!=Failed';
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface EventRecord {
  readonly involved: { readonly kind: string; readonly namespace: string; readonly name: string; readonly uid?: string; readonly apiVersion: string };
  readonly reason: string;
  readonly message: string;
  readonly type: 'Normal' | 'Warning';
  /** Stable per workload and reason: a second report (or another leader) updates the same Event. */
  readonly name: string;
}

export interface ControllerKube {
  /** The namespaces carrying the opt-in label. */
  namespaceSource(labelSelector: string): ListWatchSource;
  /**
   * The pods of one namespace that may still run: metadata only (PartialObjectMetadata: no spec, no status),
   * finished pods (Succeeded, Failed) left out by a field selector; a pod that finishes is a DELETED event.
   */
  podSource(namespace: string): ListWatchSource;
  getWorkload(ref: WorkloadRef): Promise<WorkloadObject | undefined>;
  patchWorkload(ref: WorkloadRef, body: object): Promise<WorkloadObject>;
  recordEvent(event: EventRecord, now: Date): Promise<void>;
  readonly lease: LeaseApi;
  /** The first caBundle (PEM) of a MutatingWebhookConfiguration; undefined pem with the reason when unreadable. */
  caBundle(webhookConfigName: string): Promise<{ pem: string | undefined; detail: string }>;
}

type Workloads = {
  [K in RestartableKind]: {
    get(name: string, namespace: string): Promise<WorkloadObject>;
    patch(name: string, namespace: string, body: object): Promise<WorkloadObject>;
  };
};

function workloads(apps: AppsV1Api): Workloads {
  return {
    Deployment: {
      get: (name, namespace) => apps.readNamespacedDeployment({ name, namespace }),
      patch: (name, namespace, body) => apps.patchNamespacedDeployment({ name, namespace, body, fieldManager: FIELD_MANAGER }, MERGE),
    },
    StatefulSet: {
      get: (name, namespace) => apps.readNamespacedStatefulSet({ name, namespace }),
      patch: (name, namespace, body) => apps.patchNamespacedStatefulSet({ name, namespace, body, fieldManager: FIELD_MANAGER }, MERGE),
    },
    DaemonSet: {
      get: (name, namespace) => apps.readNamespacedDaemonSet({ name, namespace }),
      patch: (name, namespace, body) => apps.patchNamespacedDaemonSet({ name, namespace, body, fieldManager: FIELD_MANAGER }, MERGE),
    },
  };
}

const msOf = (time: Date | undefined): number => (time === undefined ? 0 : new Date(time).getTime());

function toLease(lease: V1Lease): LeaseRecord {
  const { holderIdentity = '', renewTime, acquireTime, leaseDurationSeconds = 0, leaseTransitions = 0 } = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    holder: holderIdentity,
    renewMs: msOf(renewTime),
    durationSeconds: leaseDurationSeconds,
    transitions: leaseTransitions,
    acquireMs: msOf(acquireTime),
  };
}

/** metav1.MicroTime serializes with six fractional digits (the API server refuses a plain Date's three). */
const microTime = (ms: number): V1MicroTime => new V1MicroTime(ms);

function leaseBody(namespace: string, name: string, record: Omit<LeaseRecord, 'resourceVersion'>, resourceVersion?: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, resourceVersion },
    spec: {
      holderIdentity: record.holder,
      leaseDurationSeconds: record.durationSeconds,
      acquireTime: microTime(record.acquireMs),
      renewTime: microTime(record.renewMs),
      leaseTransitions: record.transitions,
    },
  };
}

export function createControllerKube(kubeConfig: KubeConfig): ControllerKube {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = workloads(kubeConfig.makeApiClient(AppsV1Api));
  const coordination = kubeConfig.makeApiClient(CoordinationV1Api);
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const http = new KubeHttp(kubeConfig);
  return {
    async caBundle(name) {
      try {
        const config = await kubeCall(`get mutatingwebhookconfiguration ${name}`, () => admission.readMutatingWebhookConfiguration({ name }));
        const raw = (config.webhooks ?? []).map((w) => w.clientConfig.caBundle).find((b) => b !== undefined && b !== '');
        return raw === undefined ? { pem: undefined, detail: `${name} has no caBundle` } : { pem: Buffer.from(raw, 'base64').toString('utf8'), detail: name };
      } catch (error) {
        return { pem: undefined, detail: (error as Error).message };
      }
    },
    namespaceSource(labelSelector) {
      return http.source({ path: '/api/v1/namespaces', labelSelector, metadataOnly: true });
    },
    podSource(namespace) {
      return http.source({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, fieldSelector: RUNNING_PODS, metadataOnly: true });
    },
    getWorkload(ref) {
      return kubeFind(`get ${ref.kind} ${ref.namespace}/${ref.name}`, () => apps[ref.kind].get(ref.name, ref.namespace));
    },
    patchWorkload(ref, body) {
      return kubeCall(`patch ${ref.kind} ${ref.namespace}/${ref.name}`, () => apps[ref.kind].patch(ref.name, ref.namespace, body));
    },
    async recordEvent(event, now) {
      const { involved } = event;
      const namespace = involved.namespace;
      const body = {
        metadata: { name: event.name, namespace },
        involvedObject: { kind: involved.kind, namespace, name: involved.name, uid: involved.uid, apiVersion: involved.apiVersion },
        reason: event.reason,
        message: event.message,
        type: event.type,
        source: { component: FIELD_MANAGER },
        reportingComponent: 'otel-injector.io/controller',
        reportingInstance: FIELD_MANAGER,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      try {
        await kubeCall(`create event ${namespace}/${event.name}`, () => core.createNamespacedEvent({ namespace, body }));
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
        const update = { message: event.message, lastTimestamp: now.toISOString(), type: event.type };
        await kubeCall(`patch event ${namespace}/${event.name}`, () => core.patchNamespacedEvent({ name: event.name, namespace, body: update }, MERGE));
      }
    },
    lease: {
      async get(namespace, name) {
        const lease = await kubeFind(`get lease ${namespace}/${name}`, () => coordination.readNamespacedLease({ name, namespace }));
        return lease === undefined ? undefined : toLease(lease);
      },
      async create(namespace, name, record) {
        return toLease(await kubeCall(`create lease ${namespace}/${name}`, () => coordination.createNamespacedLease({ namespace, body: leaseBody(namespace, name, record) })));
      },
      async replace(namespace, name, resourceVersion, record) {
        return toLease(await kubeCall(`update lease ${namespace}/${name}`, () =>
          coordination.replaceNamespacedLease({ name, namespace, body: leaseBody(namespace, name, record, resourceVersion) })));
      },
    },
  };
}
