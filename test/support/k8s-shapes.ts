// Plain structural helpers shared by the pod judge, the kubelet env model and the
// arbitraries. Pods are handled as JSON (what the webhook receives), never as
// client-node model classes.

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The objects of a list field; absent/null is empty. Reports a non-list or a non-object item. */
export function objList(v: unknown, path: string, errs?: string[]): Obj[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    errs?.push(`${path}: Invalid value: must be a list`);
    return [];
  }
  const out: Obj[] = [];
  v.forEach((item, i) => {
    if (isObj(item)) out.push(item);
    else errs?.push(`${path}[${i}]: Invalid value: must be an object`);
  });
  return out;
}

export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof CONTAINER_LISTS)[number];

export interface ContainerRef {
  readonly list: ContainerList;
  readonly index: number;
  readonly path: string;
  readonly container: Obj;
}

/** Every container of a pod spec, init containers first (the order the kubelet starts them). */
export function allContainers(spec: Obj): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of CONTAINER_LISTS) {
    objList(spec[list], `spec.${list}`).forEach((container, index) => {
      out.push({ list, index, path: `spec.${list}[${index}]`, container });
    });
  }
  return out;
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function isDns1123Label(v: string): boolean {
  return v.length <= 63 && DNS1123_LABEL.test(v);
}

export function isDns1123Subdomain(v: string): boolean {
  return v.length <= 253 && DNS1123_SUBDOMAIN.test(v);
}

/** k8s.io/apimachinery IsQualifiedName: [prefix/]name, prefix a DNS-1123 subdomain. */
export function isQualifiedName(v: string): boolean {
  const parts = v.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1] ?? '';
  if (name.length > 63 || !QUALIFIED_NAME_PART.test(name)) return false;
  return parts.length === 1 || isDns1123Subdomain(parts[0] ?? '');
}
