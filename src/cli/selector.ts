import type { V1LabelSelector } from '@kubernetes/client-node';
import { NAMESPACE_OPT_IN } from '../k8s/contract/labels.js';

/** The chart's namespaceSelector when the webhook configuration cannot be read (values.yaml defaults). */
export const DEFAULT_NAMESPACE_SELECTOR: V1LabelSelector = {
  matchExpressions: [{ key: NAMESPACE_OPT_IN.key, operator: 'In', values: [NAMESPACE_OPT_IN.value] }],
};

/** Whether labels match a Kubernetes label selector (matchLabels and In/NotIn/Exists/DoesNotExist). */
export function matches(selector: V1LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === undefined) return true;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (have[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((expression) => {
    const value = have[expression.key];
    switch (expression.operator) {
      case 'In':
        return value !== undefined && (expression.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(expression.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
}

/** The selector as text, e.g. `otel-injector.io/inject in (enabled),kubernetes.io/metadata.name notin (kube-system)`. */
export function selectorText(selector: V1LabelSelector | undefined): string {
  if (selector === undefined) return 'everything';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const e of selector.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    parts.push(op === 'exists' ? e.key : op === 'doesnotexist' ? `!${e.key}` : `${e.key} ${op} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',') || 'everything';
}
