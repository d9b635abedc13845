import fastJsonPatch, { type Operation } from 'fast-json-patch';
import type { InjectConfig } from '../config/index.js';
import { UnsupportedObjectError } from '../errors.js';
import { injectPod, type InjectResult } from '../inject/index.js';
import type { DeliverySupport } from '../inject/types.js';
import type { Decision } from '../telemetry/types.js';
import { allowed } from './response.js';
import type { AdmissionRequest, AdmissionReview } from './types.js';

export interface ReviewResult {
  readonly review: AdmissionReview;
  readonly decision: Decision;
  readonly reason: string;
  readonly ops: number;
  readonly namespace: string;
  /** Pod name, or generateName, for the log line. */
  readonly pod: string;
  /** The delivery chosen for an injected pod, and why (logged on the review's line). */
  readonly delivery?: InjectResult['delivery'];
  /** Set when an unexpected exception was swallowed (fail open); the caller logs it. */
  readonly error?: unknown;
}

function isPod(request: AdmissionRequest): boolean {
  const { kind, resource } = request;
  return kind?.group === '' && kind.kind === 'Pod' && (resource === undefined || resource.resource === 'pods');
}

/** Why the request is not a Pod CREATE, or undefined when it is one. */
function isPodCreate(request: AdmissionRequest): string | undefined {
  if (!isPod(request)) return `not a pod (${String(request.kind?.kind ?? 'unknown kind')})`;
  if (request.subResource !== undefined && request.subResource !== '') return `subresource ${request.subResource}`;
  if (request.operation !== 'CREATE') return `operation ${String(request.operation)}`;
  return undefined;
}

function podLabel(object: unknown): string {
  const meta = (object as { metadata?: { name?: unknown; generateName?: unknown } } | null)?.metadata;
  const name = typeof meta?.name === 'string' && meta.name !== '' ? meta.name : meta?.generateName;
  return typeof name === 'string' ? name : '';
}

function namespaceOf(request: AdmissionRequest): string {
  if (typeof request.namespace === 'string' && request.namespace !== '') return request.namespace;
  const meta = (request.object as { metadata?: { namespace?: unknown } } | null)?.metadata;
  return typeof meta?.namespace === 'string' ? meta.namespace : '';
}

/**
 * The reason without container names ("api: X; worker: X" → "X"), for metric labels whose cardinality
 * must not grow with the cluster's container names.
 */
export function reasonClass(reason: string): string {
  const parts = reason.split('; ').map((part) => part.replace(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?: /, ''));
  return [...new Set(parts)].join('; ');
}

/**
 * Answers one admission request. Never throws: an object it cannot handle, or any unexpected error,
 * is allowed untouched with a warning (fail open). dryRun requests are treated exactly like real ones.
 */
export function reviewAdmission(request: AdmissionRequest, config: InjectConfig, delivery?: DeliverySupport): ReviewResult {
  const namespace = namespaceOf(request);
  const base = { namespace, pod: podLabel(request.object) };
  const notPod = isPodCreate(request);
  if (notPod !== undefined) {
    return { ...base, review: allowed(request.uid), decision: 'not_pod', reason: notPod, ops: 0 };
  }
  try {
    const result = injectPod(request.object, { namespace, config, delivery });
    const patch: Operation[] = result.pod === request.object ? [] : fastJsonPatch.compare(request.object as object, result.pod);
    return { ...base, review: allowed(request.uid, patch), decision: result.decision, reason: result.reason, ops: patch.length, delivery: result.delivery };
  } catch (error) {
    const known = error instanceof UnsupportedObjectError;
    const reason = known ? error.message : 'internal error';
    const warning = `otel-injector: pod admitted without instrumentation: ${reason}`;
    return { ...base, review: allowed(request.uid, [], [warning]), decision: 'error', reason, ops: 0, error: known ? undefined : error };
  }
}
