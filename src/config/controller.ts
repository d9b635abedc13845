// The controller's settings (issue 15): what it does with pods the webhook never handled, and its limits.
import { ConfigError } from '../errors.js';
import { parseCollectorSources, type CollectorSources } from './collector-sources.js';
import type { EnvReader } from './read.js';

export type ControllerMode = 'off' | 'report' | 'restart';

export interface ControllerConfig {
  readonly mode: ControllerMode;
  /** At most this many workloads rolling at once (cluster-wide, across replicas via the Lease). */
  readonly maxConcurrent: number;
  /** Minimum time between two restart starts. */
  readonly minIntervalSeconds: number;
  /** A rollout not complete by then counts as failed. */
  readonly rolloutTimeoutSeconds: number;
  /** restart mode: log what would be done, patch nothing. */
  readonly dryRun: boolean;
  /** GET this (TLS not verified, like a kubelet probe) before each restart; nothing restarts unless it answers 200. */
  readonly webhookProbeUrl: string | undefined;
  /** The label that opts a namespace in, `key=value`. */
  readonly namespaceLabel: { readonly key: string; readonly value: string };
  /** Namespaces never acted on, even when labelled (the webhook's own, kube-system, the chart's excludes). */
  readonly excludeNamespaces: readonly string[];
  readonly leaseName: string;
  readonly leaseDurationSeconds: number;
  /** The leader's identity (the pod name in the chart). */
  readonly identity: string;
  /** The sources of the collector Secret the leader keeps a copy of in each opted-in namespace (issue 21). */
  readonly collectorSources: CollectorSources;
}

/** A label value may be empty (the chart's namespaceSelector.labelValue allows it, as Kubernetes does). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function namespaceLabel(read: EnvReader): ControllerConfig['namespaceLabel'] {
  const text = read.string('CONTROLLER_NAMESPACE_LABEL', 'otel-injector.io/inject=enabled');
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq);
  const value = eq < 0 ? '' : text.slice(eq + 1);
  if (eq < 0 || !LABEL_KEY.test(key) || value.includes('=') || !LABEL_VALUE.test(value)) {
    throw new ConfigError('CONTROLLER_NAMESPACE_LABEL', `"${text}" is not key=value`);
  }
  return { key, value };
}

export function parseController(read: EnvReader): ControllerConfig {
  const leaseDurationSeconds = read.int('CONTROLLER_LEASE_DURATION_SECONDS', 15, 3, 300);
  return {
    mode: read.oneOf('CONTROLLER_MODE', 'report', ['off', 'report', 'restart'] as const),
    maxConcurrent: read.int('CONTROLLER_MAX_CONCURRENT', 1, 1, 100),
    minIntervalSeconds: read.int('CONTROLLER_MIN_INTERVAL_SECONDS', 30, 0, 86_400),
    rolloutTimeoutSeconds: read.int('CONTROLLER_ROLLOUT_TIMEOUT_SECONDS', 600, 5, 86_400),
    dryRun: read.bool('CONTROLLER_DRY_RUN', false),
    webhookProbeUrl: read.url('CONTROLLER_WEBHOOK_PROBE_URL', undefined),
    namespaceLabel: namespaceLabel(read),
    excludeNamespaces: Object.freeze(read.list('CONTROLLER_EXCLUDE_NAMESPACES')),
    leaseName: read.string('CONTROLLER_LEASE_NAME', 'otel-injector-controller'),
    leaseDurationSeconds,
    identity: read.string('POD_NAME', read.string('HOSTNAME', 'otel-injector-controller')),
    collectorSources: parseCollectorSources(read),
  };
}
