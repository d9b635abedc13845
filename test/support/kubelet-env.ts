// The environment the kubelet computes for a container
// (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables with
// third_party/forked/golang/expansion): envFrom first, then `env` in order;
// a non-empty `value` has $(VAR) expanded against what is defined so far;
// `$$` is an escaped `$`; an unresolvable reference stays literally; a later
// duplicate name overwrites an earlier one. Values that only exist on a node
// are modelled as opaque markers so before/after comparisons are meaningful:
// fieldRefs metadata.name/namespace/uid and spec.nodeName become the strings
// `<fieldRef:PATH>`, every other valueFrom becomes `{ from: 'kind:detail' }`
// (and the string `<kind:detail>` when another variable references it).
// Service-link variables (enableServiceLinks) are not modelled: they are unknown
// at admission and identical before and after a mutation.
import { allContainers, isObj, obj, objList, str, type Obj } from './k8s-shapes.js';

export type EnvValue = string | { readonly from: string };
export type KubeletEnv = Map<string, EnvValue>;

const PLACEHOLDER_FIELDS = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName']);

/** The forked golang expansion.Expand with MappingFuncFor semantics. */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      // '$' before anything else is kept with that character (JS code units:
      // the rest of a surrogate pair is copied verbatim on the next pass).
      out += `$${next ?? ''}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function selectorMarker(kind: string, sel: Obj): string {
  return `${kind}:${str(sel.name)}/${str(sel.key)}${sel.optional === true ? '?' : ''}`;
}

function valueFromMarker(vf: Obj, containerName: string): EnvValue {
  if (isObj(vf.fieldRef)) {
    const path = str(vf.fieldRef.fieldPath);
    return PLACEHOLDER_FIELDS.has(path) ? `<fieldRef:${path}>` : { from: `fieldRef:${path}` };
  }
  if (isObj(vf.resourceFieldRef)) {
    const r = vf.resourceFieldRef;
    const target = str(r.containerName) || containerName;
    return { from: `resourceFieldRef:${target}/${str(r.resource)}/${String(r.divisor ?? '1')}` };
  }
  for (const kind of ['secretKeyRef', 'configMapKeyRef']) {
    const sel = vf[kind];
    if (isObj(sel)) return { from: selectorMarker(kind, sel) };
  }
  if (isObj(vf.fileKeyRef)) return { from: `fileKeyRef:${str(vf.fileKeyRef.volumeName)}/${str(vf.fileKeyRef.path)}/${str(vf.fileKeyRef.key)}` };
  return { from: `unknown:${JSON.stringify(vf)}` };
}

/** The string a reference $(NAME) to this value expands to. */
export function envValueText(v: EnvValue): string {
  return typeof v === 'string' ? v : `<${v.from}>`;
}

function findContainer(container: unknown, pod: unknown): Obj {
  if (typeof container !== 'string') return obj(container);
  const found = allContainers(obj(obj(pod).spec)).find((c) => c.container.name === container);
  if (found === undefined) throw new Error(`no container named "${container}" in the pod`);
  return found.container;
}

function envFromMarker(src: Obj): string {
  const ref = isObj(src.configMapRef) ? `configMapRef:${str(src.configMapRef.name)}` : `secretRef:${str(obj(src.secretRef).name)}`;
  return str(src.prefix) === '' ? ref : `${ref} prefix=${str(src.prefix)}`;
}

/**
 * The kubelet's environment for `container` (a container object, or the name of
 * one in `pod`). envFrom sources are noted under the keys `<envFrom:i>` (their
 * keys are unknown at admission); their markers are not used for expansion.
 */
export function kubeletEnv(container: unknown, pod?: unknown): KubeletEnv {
  const ctr = findContainer(container, pod);
  const env: KubeletEnv = new Map();
  objList(ctr.envFrom, 'envFrom').forEach((src, i) => env.set(`<envFrom:${i}>`, { from: envFromMarker(src) }));
  const lookup = (name: string): string | undefined => {
    const v = env.get(name);
    return v === undefined || name.startsWith('<envFrom:') ? undefined : envValueText(v);
  };
  for (const ev of objList(ctr.env, 'env')) {
    const name = str(ev.name);
    const value = str(ev.value);
    let computed: EnvValue = '';
    if (value !== '') computed = expandVars(value, lookup);
    else if (isObj(ev.valueFrom)) computed = valueFromMarker(ev.valueFrom, str(ctr.name));
    env.delete(name);
    env.set(name, computed);
  }
  return env;
}

/** Differences in `before`'s variables as seen in `after` (added variables are not differences). */
export function envDiff(before: KubeletEnv, after: KubeletEnv): string[] {
  const out: string[] = [];
  for (const [name, v] of before) {
    const a = after.get(name);
    if (a === undefined) out.push(`${name}: removed (was ${JSON.stringify(v)})`);
    else if (envValueText(a) !== envValueText(v) || typeof a !== typeof v) out.push(`${name}: ${JSON.stringify(v)} -> ${JSON.stringify(a)}`);
  }
  return out;
}
