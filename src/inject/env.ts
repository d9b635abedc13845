import type { Extension } from '../runtimes/index.js';
import type { FieldRef, ResourceAttribute } from './service.js';
import type { EnvVar } from './types.js';

const REFERENCE = /\$\(([^)]*)\)/g;

/** Index of the entry the kubelet ends up using for `name` (the last one), or -1. */
export function lastIndexOf(env: readonly EnvVar[], name: string): number {
  for (let index = env.length - 1; index >= 0; index -= 1) {
    if (env[index]?.name === name) return index;
  }
  return -1;
}

/** True when an entry after `index` references $(name): editing that entry in place would change their values. */
export function referencedAfter(env: readonly EnvVar[], index: number, name: string): boolean {
  return env.slice(index + 1).some((entry) => (entry.value ?? '').includes(`$(${name})`));
}

function isEmpty(value: string | undefined, extension: Extension): boolean {
  return value === undefined || value === '' || (extension.blankIsEmpty && value.trim() === '');
}

function combine(base: string, addition: string, extension: Extension): string {
  return extension.placement === 'append'
    ? `${base}${extension.separator}${addition}`
    : `${addition}${extension.separator}${base}`;
}

/**
 * Extends the user's literal `name` (the entry the kubelet uses) with `addition`, appended or prepended as
 * `extension` says. In place when nothing later refers to it; otherwise a later entry composes it
 * (`name=$(name) <addition>` / `name=<addition>:$(name)`), so every variable in between keeps the value the
 * kubelet computed before. An empty user value is replaced by `addition` alone.
 */
export function extendVariable(env: readonly EnvVar[], name: string, addition: string, extension: Extension): EnvVar[] {
  const index = lastIndexOf(env, name);
  const user = env[index];
  if (user === undefined) return [...env, { name, value: addition }];
  const empty = isEmpty(user.value, extension);
  if (referencedAfter(env, index, name)) {
    return [...env, { name, value: empty ? addition : combine(`$(${name})`, addition, extension) }];
  }
  const value = empty ? addition : combine(user.value ?? '', addition, extension);
  return env.map((entry, position) => (position === index ? { ...user, value } : entry));
}

/** Names defined in the list and names referenced as $(NAME) in any value: a new variable must avoid both. */
export function reservedNames(env: readonly EnvVar[]): Set<string> {
  const names = new Set<string>();
  for (const entry of env) {
    names.add(entry.name);
    const value = entry.value;
    // Most values reference nothing: a plain search keeps the regex off the hot path.
    if (value === undefined || !value.includes('$(')) continue;
    for (const match of value.matchAll(REFERENCE)) names.add(match[1] ?? '');
  }
  return names;
}

/** `base`, or `base_2`, `base_3`… whichever is not taken. */
export function uniqueName(base: string, taken: ReadonlySet<string>, separator = '_'): string {
  if (!taken.has(base)) return base;
  let index = 2;
  while (taken.has(`${base}${separator}${index}`)) index += 1;
  return `${base}${separator}${index}`;
}

/** Escapes a literal so the kubelet's $(VAR) expansion leaves it as written. */
export function escapeLiteral(text: string): string {
  return text.split('$').join('$$');
}

/** Keys present in an OTEL_RESOURCE_ATTRIBUTES value (`k1=v1,k2=v2`). */
export function attributeKeys(value: string): Set<string> {
  return new Set(
    value
      .split(',')
      .map((pair) => pair.split('=', 1)[0]?.trim() ?? '')
      .filter((key) => key !== ''),
  );
}

/** Renders attributes as OTEL_RESOURCE_ATTRIBUTES text: literals percent-encoded, downward-API values as $(VAR). */
export function renderAttributes(
  attributes: readonly ResourceAttribute[],
  variables: ReadonlyMap<FieldRef, string>,
): string {
  return attributes
    .map(({ key, value }) => {
      const text = value
        .map((part) => (typeof part === 'string' ? encodeURIComponent(part) : `$(${variables.get(part.fieldRef) ?? ''})`))
        .join('');
      return `${key}=${text}`;
    })
    .join(',');
}

/** The downward-API variables the attributes reference. */
export function fieldRefsOf(attributes: readonly ResourceAttribute[]): FieldRef[] {
  const refs = new Set<FieldRef>();
  for (const { value } of attributes) {
    for (const part of value) if (typeof part !== 'string') refs.add(part.fieldRef);
  }
  return [...refs];
}

const FIELD_REF_VARIABLE: Record<FieldRef, string> = {
  'metadata.name': 'OTEL_INJECTOR_POD_NAME',
  'metadata.uid': 'OTEL_INJECTOR_POD_UID',
  'spec.nodeName': 'OTEL_INJECTOR_NODE_NAME',
};

/** Downward-API env entries for the refs, named so they collide with nothing the container defines or references. */
export function fieldRefVariables(
  refs: readonly FieldRef[],
  taken: ReadonlySet<string>,
): { entries: EnvVar[]; names: Map<FieldRef, string> } {
  const names = new Map<FieldRef, string>();
  const entries = refs.map((fieldPath) => {
    const name = uniqueName(FIELD_REF_VARIABLE[fieldPath], taken);
    names.set(fieldPath, name);
    return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
  });
  return { entries, names };
}
