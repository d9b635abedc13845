// A judge for pods: the errors kube-apiserver's validation
// (k8s.io/kubernetes pkg/apis/core/validation ValidatePodCreate / ValidatePodSpec)
// would raise for the parts a mutating webhook can break, and (re-exported) the
// Pod Security `restricted` violations. Error strings follow the apiserver's
// "field.path: Reason: detail" shape; tests assert on emptiness or substrings.
import { containerErrors, type EnvNameRule } from './pod-judge-container.js';
import {
  CONTAINER_LISTS, isDns1123Label, isDns1123Subdomain, isObj, isQualifiedName, objList, str, type Obj,
} from './k8s-shapes.js';
import { isNegative, parseQuantity } from './quantity.js';

export { restrictedViolations } from './pod-security.js';
export { parseQuantity, compareQuantity, type Quantity } from './quantity.js';
export { envNameErrors, resourceErrors, type EnvNameRule } from './pod-judge-container.js';

export interface ValidateOptions {
  /** Env name rule; default relaxed (RelaxedEnvironmentVariableValidation is GA and locked on since 1.34). */
  readonly envNames?: EnvNameRule;
}

/** Every volume source field of core/v1 VolumeSource. */
export const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
] as const;

const MAX_ANNOTATIONS_BYTES = 256 * 1024;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function mapOfStrings(v: unknown, path: string, errs: string[]): [string, string][] {
  if (v === undefined || v === null) return [];
  if (!isObj(v)) { errs.push(`${path}: Invalid value: must be a map of strings`); return []; }
  const out: [string, string][] = [];
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') errs.push(`${path}[${k}]: Invalid value: must be a string`);
    else out.push([k, val]);
  }
  return out;
}

function metadataErrors(meta: Obj): string[] {
  const errs: string[] = [];
  const name = str(meta.name);
  if (name !== '' && !isDns1123Subdomain(name)) errs.push(`metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain`);
  for (const [k, v] of mapOfStrings(meta.labels, 'metadata.labels', errs)) {
    if (!isQualifiedName(k)) errs.push(`metadata.labels: Invalid value: "${k}": name part must be a qualified name`);
    if (v.length > 63 || !LABEL_VALUE.test(v)) errs.push(`metadata.labels: Invalid value: "${v}": a valid label value`);
  }
  let size = 0;
  for (const [k, v] of mapOfStrings(meta.annotations, 'metadata.annotations', errs)) {
    if (!isQualifiedName(k.toLowerCase())) errs.push(`metadata.annotations: Invalid value: "${k}": must be a qualified name`);
    size += k.length + v.length;
  }
  if (size > MAX_ANNOTATIONS_BYTES) errs.push(`metadata.annotations: Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes`);
  return errs;
}

function volumeSourceErrors(vol: Obj, p: string): string[] {
  const present = VOLUME_SOURCES.filter((k) => vol[k] !== undefined && vol[k] !== null);
  if (present.length === 0) return [`${p}: Required value: must specify a volume type`];
  if (present.length > 1) return [`${p}: Forbidden: may not specify more than 1 volume type`];
  const kind = present[0] ?? 'emptyDir';
  const src = vol[kind];
  if (!isObj(src)) return [`${p}.${kind}: Invalid value: must be an object`];
  return sourceFieldErrors(kind, src, `${p}.${kind}`);
}

const REQUIRED_SOURCE_FIELD: Partial<Record<string, string>> = {
  configMap: 'name', secret: 'secretName', persistentVolumeClaim: 'claimName', hostPath: 'path',
};

function sourceFieldErrors(kind: string, src: Obj, p: string): string[] {
  const required = REQUIRED_SOURCE_FIELD[kind];
  if (required !== undefined && str(src[required]) === '') return [`${p}.${required}: Required value`];
  if (kind !== 'emptyDir' || src.sizeLimit === undefined || src.sizeLimit === null) return [];
  const q = parseQuantity(src.sizeLimit);
  if (q === undefined || isNegative(q)) return [`${p}.sizeLimit: Invalid value: ${JSON.stringify(src.sizeLimit)}: SizeLimit field must be a valid resource quantity`];
  return [];
}

function volumeErrors(spec: Obj, errs: string[]): Set<string> {
  const names = new Set<string>();
  objList(spec.volumes, 'spec.volumes', errs).forEach((vol, i) => {
    const p = `spec.volumes[${i}]`;
    const name = str(vol.name);
    if (name === '') errs.push(`${p}.name: Required value`);
    else if (!isDns1123Label(name)) errs.push(`${p}.name: Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`);
    else if (names.has(name)) errs.push(`${p}.name: Duplicate value: "${name}"`);
    names.add(name);
    errs.push(...volumeSourceErrors(vol, p));
  });
  return names;
}

function containerListErrors(spec: Obj): string[] {
  const errs: string[] = [];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errs.push('spec.containers: Required value');
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) errs.push('spec.ephemeralContainers: Forbidden: cannot be set on create');
  return errs;
}

/** kube-apiserver's create-time validation errors for this pod (empty: it would be admitted). */
export function validatePod(pod: unknown, opts: ValidateOptions = {}): string[] {
  if (!isObj(pod)) return ['pod: Invalid value: must be an object'];
  const errs = metadataErrors(isObj(pod.metadata) ? pod.metadata : {});
  if (!isObj(pod.spec)) return [...errs, 'spec: Required value'];
  const spec = pod.spec;
  const volumes = volumeErrors(spec, errs);
  errs.push(...containerListErrors(spec));
  const ctx = { volumes, names: new Set<string>(), envNames: opts.envNames ?? { relaxed: true } };
  for (const list of CONTAINER_LISTS) {
    objList(spec[list], `spec.${list}`, errs).forEach((ctr, i) => {
      errs.push(...containerErrors(ctr, `spec.${list}[${i}]`, list === 'initContainers', ctx));
    });
  }
  return errs;
}
