// Container-level rules of kube-apiserver pod validation
// (k8s.io/kubernetes pkg/apis/core/validation: validateContainers,
// validateInitContainers, validateEnv, validateEnvFrom, validateVolumeMounts,
// ValidateResourceRequirements) limited to what an injector can break.
import { compareQuantity, isNegative, parseQuantity, type Quantity } from './quantity.js';
import { isObj, objList, str, isDns1123Label, type Obj } from './k8s-shapes.js';

export interface EnvNameRule {
  /** true: RelaxedEnvironmentVariableValidation (beta on by default 1.32, GA 1.34). false: the older rule. */
  readonly relaxed: boolean;
}

const STRICT_ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_FIELD_PATHS = new Set([
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);
const LABEL_OR_ANNOTATION_PATH = /^metadata\.(labels|annotations)\['[^']+'\]$/;
const ENV_RESOURCES = new Set([
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
]);
const VALUE_FROM_SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'];

/** Errors for an env var name (or envFrom prefix) under the chosen rule. */
export function envNameErrors(name: string, rule: EnvNameRule): string[] {
  if (name.length === 0) return ['environment variable name must be non-empty'];
  if (rule.relaxed) {
    // IsRelaxedEnvVarName: printable ASCII (0x20-0x7e) other than '='.
    return /^[\x20-\x3c\x3e-\x7e]+$/.test(name)
      ? []
      : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
  }
  if (!STRICT_ENV_NAME.test(name) || name.startsWith('..')) {
    return ["a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"];
  }
  return [];
}

function keySelectorErrors(sel: Obj, path: string): string[] {
  const errs: string[] = [];
  if (str(sel.name) === '') errs.push(`${path}.name: Required value`);
  const key = str(sel.key);
  if (key === '') errs.push(`${path}.key: Required value`);
  else if (key.length > 253 || !CONFIG_KEY.test(key)) errs.push(`${path}.key: Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`);
  return errs;
}

function fieldRefErrors(ref: Obj, path: string): string[] {
  const fieldPath = str(ref.fieldPath);
  if (fieldPath === '') return [`${path}.fieldPath: Required value`];
  const apiVersion = ref.apiVersion;
  if (apiVersion !== undefined && apiVersion !== 'v1') return [`${path}.apiVersion: Unsupported value: "${String(apiVersion)}"`];
  if (ENV_FIELD_PATHS.has(fieldPath) || LABEL_OR_ANNOTATION_PATH.test(fieldPath)) return [];
  return [`${path}.fieldPath: Unsupported value: "${fieldPath}"`];
}

function resourceFieldRefErrors(ref: Obj, path: string): string[] {
  const resource = str(ref.resource);
  const errs: string[] = [];
  if (!ENV_RESOURCES.has(resource) && !/^(limits|requests)\.hugepages-/.test(resource)) errs.push(`${path}.resource: Unsupported value: "${resource}"`);
  if (ref.divisor !== undefined && parseQuantity(ref.divisor) === undefined) errs.push(`${path}.divisor: Invalid value: quantities must match the regular expression`);
  return errs;
}

function valueFromErrors(vf: Obj, path: string): string[] {
  const present = VALUE_FROM_SOURCES.filter((k) => vf[k] !== undefined && vf[k] !== null);
  if (present.length === 0) return [`${path}: Invalid value: must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``];
  if (present.length > 1) return [`${path}: Invalid value: may not have more than one field specified at a time`];
  const kind = present[0] ?? '';
  const src = vf[kind];
  if (!isObj(src)) return [`${path}.${kind}: Invalid value: must be an object`];
  if (kind === 'fieldRef') return fieldRefErrors(src, `${path}.fieldRef`);
  if (kind === 'resourceFieldRef') return resourceFieldRefErrors(src, `${path}.resourceFieldRef`);
  if (kind === 'fileKeyRef') return [];
  return keySelectorErrors(src, `${path}.${kind}`);
}

function envErrors(ctr: Obj, path: string, rule: EnvNameRule): string[] {
  const errs: string[] = [];
  objList(ctr.env, `${path}.env`, errs).forEach((ev, i) => {
    const p = `${path}.env[${i}]`;
    const name = typeof ev.name === 'string' ? ev.name : '';
    for (const msg of envNameErrors(name, rule)) errs.push(`${p}.name: Invalid value: ${JSON.stringify(name)}: ${msg}`);
    if (ev.value !== undefined && ev.value !== null && typeof ev.value !== 'string') errs.push(`${p}.value: Invalid value: must be a string`);
    if (ev.valueFrom === undefined || ev.valueFrom === null) return;
    if (!isObj(ev.valueFrom)) { errs.push(`${p}.valueFrom: Invalid value: must be an object`); return; }
    errs.push(...valueFromErrors(ev.valueFrom, `${p}.valueFrom`));
    if (str(ev.value) !== '') errs.push(`${p}.valueFrom: Invalid value: may not be specified when \`value\` is not empty`);
  });
  objList(ctr.envFrom, `${path}.envFrom`, errs).forEach((ef, i) => {
    const p = `${path}.envFrom[${i}]`;
    const n = ['configMapRef', 'secretRef'].filter((k) => isObj(ef[k])).length;
    if (n !== 1) errs.push(`${p}: Invalid value: must specify exactly one of \`configMapRef\` or \`secretRef\``);
    const prefix = str(ef.prefix);
    if (prefix !== '') for (const msg of envNameErrors(prefix, rule)) errs.push(`${p}.prefix: Invalid value: ${JSON.stringify(prefix)}: ${msg}`);
  });
  return errs;
}

function mountErrors(ctr: Obj, path: string, volumes: ReadonlySet<string>): string[] {
  const errs: string[] = [];
  const paths = new Set<string>();
  objList(ctr.volumeMounts, `${path}.volumeMounts`, errs).forEach((m, i) => {
    const p = `${path}.volumeMounts[${i}]`;
    const name = str(m.name);
    if (name === '') errs.push(`${p}.name: Required value`);
    else if (!volumes.has(name)) errs.push(`${p}.name: Not found: "${name}"`);
    const mountPath = str(m.mountPath);
    if (mountPath === '') errs.push(`${p}.mountPath: Required value`);
    else if (paths.has(mountPath)) errs.push(`${p}.mountPath: Invalid value: "${mountPath}": must be unique`);
    paths.add(mountPath);
    const sub = str(m.subPath);
    if (sub.startsWith('/') || sub.split('/').includes('..')) errs.push(`${p}.subPath: Invalid value: "${sub}": must be a relative path without '..'`);
  });
  return errs;
}

function quantityMap(v: unknown, path: string, errs: string[]): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (v === undefined || v === null) return out;
  if (!isObj(v)) { errs.push(`${path}: Invalid value: must be a map`); return out; }
  for (const [name, raw] of Object.entries(v)) {
    const q = parseQuantity(raw);
    if (q === undefined) errs.push(`${path}[${name}]: Invalid value: ${JSON.stringify(raw)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    else if (isNegative(q)) errs.push(`${path}[${name}]: Invalid value: "${q.text}": must be greater than or equal to 0`);
    else out.set(name, q);
  }
  return out;
}

/** Quantities parse, are ≥ 0, and every request is ≤ its limit. */
export function resourceErrors(resources: unknown, path: string): string[] {
  const errs: string[] = [];
  if (resources === undefined || resources === null) return errs;
  const r = isObj(resources) ? resources : {};
  if (!isObj(resources)) errs.push(`${path}: Invalid value: must be an object`);
  const limits = quantityMap(r.limits, `${path}.limits`, errs);
  const requests = quantityMap(r.requests, `${path}.requests`, errs);
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim !== undefined && compareQuantity(req, lim) > 0) {
      errs.push(`${path}.requests: Invalid value: "${req.text}": must be less than or equal to ${name} limit of ${lim.text}`);
    }
  }
  return errs;
}

function initContainerErrors(ctr: Obj, path: string): string[] {
  const policy = ctr.restartPolicy;
  if (policy !== undefined && policy !== 'Always') return [`${path}.restartPolicy: Unsupported value: "${String(policy)}"`];
  if (policy === 'Always') return [];
  return ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']
    .filter((k) => ctr[k] !== undefined && ctr[k] !== null)
    .map((k) => `${path}.${k}: Forbidden: may not be set for init containers without restartPolicy=Always`);
}

function nameAndImageErrors(ctr: Obj, path: string, seen: Set<string>): string[] {
  const errs: string[] = [];
  const name = str(ctr.name);
  if (name === '') errs.push(`${path}.name: Required value`);
  else if (!isDns1123Label(name)) errs.push(`${path}.name: Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`);
  else if (seen.has(name)) errs.push(`${path}.name: Duplicate value: "${name}"`);
  seen.add(name);
  const image = str(ctr.image);
  if (image === '') errs.push(`${path}.image: Required value`);
  else if (image.trim() !== image) errs.push(`${path}.image: Invalid value: "${image}": must not have leading or trailing whitespace`);
  return errs;
}

export interface ContainerContext {
  readonly volumes: ReadonlySet<string>;
  /** Container names seen so far across init, regular and ephemeral containers. */
  readonly names: Set<string>;
  readonly envNames: EnvNameRule;
}

export function containerErrors(ctr: Obj, path: string, isInit: boolean, ctx: ContainerContext): string[] {
  return [
    ...nameAndImageErrors(ctr, path, ctx.names),
    ...envErrors(ctr, path, ctx.envNames),
    ...mountErrors(ctr, path, ctx.volumes),
    ...resourceErrors(ctr.resources, `${path}.resources`),
    ...(isInit ? initContainerErrors(ctr, path) : []),
  ];
}
