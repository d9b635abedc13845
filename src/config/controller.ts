// The controller's settings: what it does with pods the webhook never handled (created while it was down,
// or before their namespace was labelled), and its limits.
import { ConfigError } from '../errors.js';
import { NAMESPACE_OPT_IN } from '../k8s/contract/labels.js';
import { controllerLeaseName } from '../k8s/contract/lease.js';
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
  /**
   * GET this before each restart; nothing restarts unless it answers 200. Its certificate is verified with the
   * caBundle of the webhook configuration, as the API server would (not verified only when that cannot be read;
   * controller/probe.ts, test/e2e/controller.test.ts).
   */
  readonly webhookProbeUrl: string | undefined;
  /** The label that opts a namespace in, `key=value`. */
  readonly namespaceLabel: { readonly key: string; readonly value: string };
  /** Namespaces never acted on, even when labelled (the webhook's own, kube-system, the chart's excludes). */
  readonly excludeNamespaces: readonly string[];
  readonly leaseName: string;
  readonly leaseDurationSeconds: number;
  /**
   * The host part of the leader's identity: POD_NAME (the chart sets it), else HOSTNAME; undefined: the
   * program uses the machine's host name. A random suffix is added per process (controller/identity.ts).
   */
  readonly identityHost: string | undefined;
  /** The sources of the collector Secret the leader keeps a copy of in each opted-in namespace. */
  readonly collectorSources: CollectorSources;
}

/** A label value may be empty (the chart's namespaceSelector.labelValue allows it, as Kubernetes does). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function namespaceLabel(read: EnvReader): ControllerConfig['namespaceLabel'] {
  const text = read.string('CONTROLLER_NAMESPACE_LABEL', `${NAMESPACE_OPT_IN.key}=${NAMESPACE_OPT_IN.value}`);
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq);
  const value = eq < 0 ? '' : text.slice(eq + 1);
  if (eq < 0 || !LABEL_KEY.test(key) || value.includes('=') || !LABEL_VALUE.test(value)) {
    throw new ConfigError('CONTROLLER_NAMESPACE_LABEL', `"${text}" is not key=value`);
  }
  return { key, value };
}

const nonEmpty = (value: string): string | undefined => (value === '' ? undefined : value);

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
    leaseName: read.string('CONTROLLER_LEASE_NAME', controllerLeaseName(read.string('WEBHOOK_CONFIG_NAME', 'otel-injector'))),
    leaseDurationSeconds,
    identityHost: nonEmpty(read.string('POD_NAME', '')) ?? nonEmpty(read.string('HOSTNAME', '')),
    collectorSources: parseCollectorSources(read),
  };
}
