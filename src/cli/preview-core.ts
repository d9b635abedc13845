// The preview of one workload: the webhook's own admission function (src/admission reviewAdmission, which
// runs src/inject injectPod and diffs with fast-json-patch compare) on the pod as it would arrive at
// admission, and the JSON Patch of its answer applied the way the API server applies it.
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { reviewAdmission } from '../admission/review.js';
import type { AdmissionRequest } from '../admission/types.js';
import type { InjectConfig } from '../config/index.js';
import { LABEL } from '../k8s/contract/labels.js';
import type { AdmittedWorkload, Obj } from './workloads.js';

export type PreviewDecision = 'injected' | 'skipped' | 'bypassed' | 'error' | 'not-sent';

export interface Preview {
  readonly workload: AdmittedWorkload;
  readonly decision: PreviewDecision;
  readonly reason: string;
  readonly patch: readonly Operation[];
  /** The pod as the API server would store it (before server-set fields). */
  readonly admitted: Obj;
  readonly warnings: readonly string[];
}

/** Label on the webhook's own pods: the chart's objectSelector never sends them (test/chart/kube-contract.test.ts). */
const COMPONENT_LABEL = LABEL.component;

/** Why the API server would not call the webhook for this pod at all (the chart's fixed selectors). */
function notSent(workload: AdmittedWorkload): string | undefined {
  if (workload.namespace === 'kube-system') return 'namespace kube-system is never sent to the webhook (namespaceSelector)';
  const labels = (workload.pod.metadata as { labels?: Record<string, unknown> } | undefined)?.labels;
  if (labels?.[COMPONENT_LABEL] === 'webhook') return `label ${COMPONENT_LABEL}=webhook: the webhook's own pods are never sent (objectSelector)`;
  return undefined;
}

export function admissionRequest(workload: AdmittedWorkload): AdmissionRequest {
  return {
    uid: 'otel-injector-preview',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    requestKind: { group: '', version: 'v1', kind: 'Pod' },
    namespace: workload.namespace,
    operation: 'CREATE',
    object: workload.pod,
    dryRun: false,
  };
}

function decodePatch(base64: string | undefined): Operation[] {
  if (base64 === undefined) return [];
  return JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as Operation[];
}

export function previewWorkload(workload: AdmittedWorkload, config: InjectConfig): Preview {
  const skip = notSent(workload);
  if (skip !== undefined) {
    return { workload, decision: 'not-sent', reason: skip, patch: [], admitted: workload.pod, warnings: [] };
  }
  const result = reviewAdmission(admissionRequest(workload), config);
  const response = result.review.response;
  const patch = decodePatch(response?.patch);
  const admitted = fastJsonPatch.applyPatch(structuredClone(workload.pod), patch, true, true).newDocument;
  const decision: PreviewDecision = result.decision === 'not_pod' ? 'error' : result.decision;
  return { workload, decision, reason: result.reason, patch, admitted, warnings: response?.warnings ?? [] };
}

export interface ContainerTelemetry {
  readonly container: string;
  readonly serviceName: string;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
}

function envValue(container: Obj, name: string): string | undefined {
  const env = Array.isArray(container.env) ? (container.env as Array<{ name?: unknown; value?: unknown }>) : [];
  const entry = env.filter((e) => e.name === name).at(-1);
  return typeof entry?.value === 'string' ? entry.value : undefined;
}

function decodeAttribute(pair: string): readonly [string, string] {
  const at = pair.indexOf('=');
  const key = pair.slice(0, at).trim();
  const raw = pair.slice(at + 1);
  try {
    return [key, decodeURIComponent(raw)];
  } catch {
    return [key, raw];
  }
}

/** service.name and resource attributes each instrumented container will report, read from what the webhook wrote. */
export function telemetryOf(preview: Preview): ContainerTelemetry[] {
  const spec = preview.admitted.spec as { containers?: Obj[] } | undefined;
  const before = new Map(((preview.workload.pod.spec as { containers?: Obj[] } | undefined)?.containers ?? []).map((c) => [c.name, c]));
  return (spec?.containers ?? []).flatMap((container) => {
    const serviceName = envValue(container, 'OTEL_SERVICE_NAME');
    const original = before.get(container.name);
    if (serviceName === undefined || original === undefined || JSON.stringify(original) === JSON.stringify(container)) return [];
    const attributes = (envValue(container, 'OTEL_RESOURCE_ATTRIBUTES') ?? '')
      .split(',')
      .filter((pair) => pair.includes('='))
      .map(decodeAttribute);
    return [{ container: String(container.name), serviceName, attributes }];
  });
}
