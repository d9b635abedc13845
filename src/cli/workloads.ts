// Turns a workload manifest into the pod the API server would hand the webhook at admission: the pod
// template with the metadata the controller adds (generateName or name, owner reference, labels) and the
// namespace. Only metadata is added: the template's spec reaches admission unchanged (see README: the
// StatefulSet controller also sets hostname/subdomain and claim volumes, which the injection never reads).
import { LABEL } from '../k8s/contract/labels.js';
import { cronJobJobName, replicaSetName } from '../k8s/contract/owner.js';
import type { KubeObject, SourcedObject } from './manifests.js';

export type Obj = Record<string, unknown>;

export interface PodTemplate {
  metadata?: Obj & { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Obj;
}

export interface AdmittedWorkload {
  readonly type: 'workload';
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly source: string;
  /** The pod as it arrives at admission. */
  readonly pod: Obj;
  /** How the controller would name it (`<generateName>xxxxx` when generated). */
  readonly podName: string;
}

export interface Ignored {
  readonly type: 'ignored';
  readonly kind: string;
  readonly name: string;
  readonly source: string;
  readonly reason: string;
}

export interface ControllerContext {
  /** -n, used when the manifest has no namespace (then `default`, as kubectl does). */
  readonly namespace: string | undefined;
  readonly now: Date;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a (32 bit) of text, as Kubernetes hashes pod templates. */
function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * A pod-template-hash in the controller's format (rand.SafeEncodeString of a 32-bit FNV sum). The
 * controller hashes its own Go printing of the template, so the value differs from the cluster's; it
 * only appears in the ReplicaSet name (k8s.replicaset.name) and the pod name, never in service.name.
 */
export function templateHash(template: unknown): string {
  return [...String(fnv32a(JSON.stringify(template) ?? ''))].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

function uidOf(seed: string): string {
  const hex = [0, 1, 2, 3].map((i) => fnv32a(`${i}:${seed}`).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function owner(apiVersion: string, kind: string, name: string): Obj {
  return { apiVersion, kind, name, uid: uidOf(`${kind}/${name}`), controller: true, blockOwnerDeletion: true };
}

function asObj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

function stringField(object: Obj | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

interface PodMeta {
  readonly generateName?: string;
  readonly name?: string;
  readonly labels: Record<string, string>;
  readonly owner: Obj;
}

function buildPod(template: PodTemplate, namespace: string, meta: PodMeta): Obj {
  const metadata: Obj = { ...(template.metadata ?? {}) };
  delete metadata.name;
  delete metadata.namespace;
  delete metadata.generateName;
  if (meta.name !== undefined) metadata.name = meta.name;
  if (meta.generateName !== undefined) metadata.generateName = meta.generateName;
  metadata.namespace = namespace;
  metadata.labels = { ...(template.metadata?.labels ?? {}), ...meta.labels };
  metadata.ownerReferences = [meta.owner];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: template.spec };
}

type Builder = (name: string, template: PodTemplate, namespace: string, context: ControllerContext) => { pod: Obj; podName: string };

const generated = (stem: string): string => `${stem}xxxxx`;

function fromReplicaSetNamed(rs: string, template: PodTemplate, namespace: string): { pod: Obj; podName: string } {
  const pod = buildPod(template, namespace, { generateName: `${rs}-`, labels: {}, owner: owner('apps/v1', 'ReplicaSet', rs) });
  return { pod, podName: generated(`${rs}-`) };
}

const BUILDERS: Record<string, Builder> = {
  Deployment: (name, template, namespace) => {
    const hash = templateHash(template);
    const rs = replicaSetName(name, hash);
    const pod = buildPod(template, namespace, {
      generateName: `${rs}-`,
      labels: { [LABEL.podTemplateHash]: hash },
      owner: owner('apps/v1', 'ReplicaSet', rs),
    });
    return { pod, podName: generated(`${rs}-`) };
  },
  ReplicaSet: (name, template, namespace) => fromReplicaSetNamed(name, template, namespace),
  StatefulSet: (name, template, namespace) => {
    const podName = `${name}-0`;
    const labels = {
      'controller-revision-hash': `${name}-${templateHash(template)}`,
      'statefulset.kubernetes.io/pod-name': podName,
      'apps.kubernetes.io/pod-index': '0',
    };
    return { pod: buildPod(template, namespace, { name: podName, labels, owner: owner('apps/v1', 'StatefulSet', name) }), podName };
  },
  DaemonSet: (name, template, namespace) => {
    const labels = { 'controller-revision-hash': templateHash(template), 'pod-template-generation': '1' };
    const pod = buildPod(template, namespace, { generateName: `${name}-`, labels, owner: owner('apps/v1', 'DaemonSet', name) });
    return { pod, podName: generated(`${name}-`) };
  },
  Job: (name, template, namespace) => jobPod(name, template, namespace),
  CronJob: (name, template, namespace, context) => {
    // the Job the CronJob controller would start now
    return jobPod(cronJobJobName(name, context.now), template, namespace);
  },
};

function jobPod(job: string, template: PodTemplate, namespace: string): { pod: Obj; podName: string } {
  const uid = uidOf(`Job/${job}`);
  const labels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': job,
    'controller-uid': uid,
    'job-name': job,
  };
  const jobOwner = { ...owner('batch/v1', 'Job', job), uid };
  const pod = buildPod(template, namespace, { generateName: `${job}-`, labels, owner: jobOwner });
  return { pod, podName: generated(`${job}-`) };
}

function templateOf(kind: string, object: KubeObject): unknown {
  const spec = asObj(object.spec);
  if (kind === 'CronJob') return asObj(asObj(asObj(spec?.jobTemplate)?.spec)?.template);
  return asObj(spec?.template);
}

function namespaceOf(metadata: Obj | undefined, context: ControllerContext): string {
  return stringField(metadata, 'namespace') ?? context.namespace ?? 'default';
}

function fromReview(item: SourcedObject, context: ControllerContext): AdmittedWorkload | Ignored {
  const request = asObj(item.object.request);
  const pod = asObj(request?.object);
  const meta = asObj(pod?.metadata);
  const name = stringField(meta, 'name') ?? stringField(meta, 'generateName') ?? '';
  if (pod === undefined) return { type: 'ignored', kind: 'AdmissionReview', name, source: item.source, reason: 'no request.object' };
  const namespace = stringField(request, 'namespace') ?? namespaceOf(meta, context);
  const podName = stringField(meta, 'name') ?? generated(stringField(meta, 'generateName') ?? '');
  return { type: 'workload', kind: 'Pod', name: podName, namespace, source: item.source, pod, podName };
}

function fromPod(item: SourcedObject, metadata: Obj | undefined, namespace: string): AdmittedWorkload {
  const pod = { ...item.object, metadata: { ...(metadata ?? {}), namespace } };
  const podName = stringField(metadata, 'name') ?? generated(stringField(metadata, 'generateName') ?? '');
  return { type: 'workload', kind: 'Pod', name: podName, namespace, source: item.source, pod, podName };
}

/** The admitted pod for one manifest, or why it is ignored (unknown kind, no pod template). */
export function admittedPod(item: SourcedObject, context: ControllerContext): AdmittedWorkload | Ignored {
  const { object, source } = item;
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const metadata = asObj(object.metadata);
  const name = stringField(metadata, 'name') ?? stringField(metadata, 'generateName') ?? '';
  if (kind === 'AdmissionReview') return fromReview(item, context);
  const namespace = namespaceOf(metadata, context);
  if (kind === 'Pod') return fromPod(item, metadata, namespace);
  const builder = BUILDERS[kind];
  if (builder === undefined) return { type: 'ignored', kind: kind || '(no kind)', name, source, reason: 'not a workload with a pod template' };
  const template = templateOf(kind, object);
  if (template === undefined) return { type: 'ignored', kind, name, source, reason: 'no pod template' };
  const { pod, podName } = builder(name, template as PodTemplate, namespace, context);
  return { type: 'workload', kind, name, namespace, source, pod, podName };
}
