// Pure: the nodes a pod can land on, judged as the scheduler would from what the pod says at admission
// (spec.nodeName; nodeSelector; required node affinity; tolerations of NoSchedule/NoExecute taints) over the
// nodes of the controller's support snapshot. Anything the scheduler weighs besides (resources, preferred
// affinity, topology spread) only narrows the set further, so a decision that holds for all candidates holds.
import type { NodeSupport, NodeTaint } from '../k8s/contract/delivery.js';
import type { PodSpec } from './types.js';

interface Requirement {
  readonly key?: unknown;
  readonly operator?: unknown;
  readonly values?: unknown;
}

interface Term {
  readonly matchExpressions?: unknown;
  readonly matchFields?: unknown;
}

interface Toleration {
  readonly key?: unknown;
  readonly operator?: unknown;
  readonly value?: unknown;
  readonly effect?: unknown;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const integer = (text: string | undefined): number | undefined => (text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined);

function compare(operator: 'Gt' | 'Lt', value: string | undefined, values: readonly string[]): boolean {
  const have = integer(value);
  const bound = integer(values[0]);
  if (have === undefined || bound === undefined || values.length !== 1) return false;
  return operator === 'Gt' ? have > bound : have < bound;
}

/** One requirement of a term against a value (a label, or the node's name for matchFields); unknown operators never match. */
function satisfies(requirement: Requirement, value: string | undefined): boolean {
  const values = strings(requirement.values);
  switch (requirement.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': return compare(requirement.operator, value, values);
    default: return false;
  }
}

function termMatches(term: Term, node: NodeSupport): boolean {
  const expressions = list<Requirement>(term.matchExpressions);
  const fields = list<Requirement>(term.matchFields);
  // An empty term matches no node (the scheduler's rule).
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = expressions.every((r) => typeof r.key === 'string' && satisfies(r, node.labels[r.key]));
  return labels && fields.every((r) => r.key === 'metadata.name' && satisfies(r, node.name));
}

function affinityMatches(spec: PodSpec, node: NodeSupport): boolean {
  const affinity = spec.affinity as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown } } } | undefined;
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) return true;
  return list<Term>(required.nodeSelectorTerms).some((term) => termMatches(term, node));
}

function selectorMatches(spec: PodSpec, node: NodeSupport): boolean {
  const selector = spec.nodeSelector;
  if (typeof selector !== 'object' || selector === null) return true;
  return Object.entries(selector as Record<string, unknown>).every(([key, value]) => node.labels[key] === value);
}

function tolerates(toleration: Toleration, taint: NodeTaint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== '' && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists') return toleration.key === undefined || toleration.key === '' || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

function toleratesAll(spec: PodSpec, node: NodeSupport): boolean {
  const tolerations = list<Toleration>(spec.tolerations);
  return node.taints
    .filter((taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute')
    .every((taint) => tolerations.some((toleration) => tolerates(toleration, taint)));
}

/** The candidate nodes, and how they were found (for the reason): `named` when spec.nodeName picks one. */
export function candidateNodes(spec: PodSpec, nodes: readonly NodeSupport[]): { readonly nodes: readonly NodeSupport[]; readonly named?: string } {
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    const named = spec.nodeName;
    return { nodes: nodes.filter((node) => node.name === named), named };
  }
  return { nodes: nodes.filter((node) => selectorMatches(spec, node) && affinityMatches(spec, node) && toleratesAll(spec, node)) };
}
