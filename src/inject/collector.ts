// The collector's per-signal endpoints and credentials for one instrumented container. Credentials
// come from the collector Secret of the pod's own namespace, by reference only: files of a read-only
// Secret volume and a secretKeyRef, never a value in the pod spec. They are given only to a container whose
// collector is ours (it sets no OTEL_EXPORTER_OTLP_*ENDPOINT of its own): a CA or a key must never reach a
// collector the user chose, and a variable the user set is never replaced.
import { COLLECTOR_KEYS, SIGNALS, usesCollectorSecret } from '../config/collector.js';
import type { InjectConfig } from '../config/index.js';
import { lastIndexOf, uniqueName } from './env.js';
import type { Container, EnvVar, PodSpec } from './types.js';

export const COLLECTOR_VOLUME_NAME = 'otel-injector-collector';
const ENDPOINT = 'OTEL_EXPORTER_OTLP_ENDPOINT';
const signalEndpoint = (signal: string): string => `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
const ENDPOINT_VARIABLES = [ENDPOINT, ...SIGNALS.map(signalEndpoint)];

/** The variables of this module that a container may set itself (then they are left to it). */
export const CREDENTIAL_VARIABLES = [
  'OTEL_EXPORTER_OTLP_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_CLIENT_KEY',
  'OTEL_EXPORTER_OTLP_HEADERS',
] as const;

/** Our payloads' variable for the headers file (src/runtimes/node/payload/tlsagent.ts, _otel_injector/tls_files.py). */
export const HEADERS_FILE = 'OTEL_INJECTOR_HEADERS_FILE';

/** True when the container sends to a collector of its own choosing (any endpoint variable it sets). */
export function ownCollector(env: readonly EnvVar[]): boolean {
  return ENDPOINT_VARIABLES.some((name) => lastIndexOf(env, name) >= 0);
}

/** Per-signal endpoints the configuration names and the container does not set (nor its base endpoint). */
export function signalEndpointEnv(env: readonly EnvVar[], config: InjectConfig): EnvVar[] {
  if (ownCollector(env)) return [];
  return SIGNALS.flatMap((signal) => {
    const url = config.collector.endpoints[signal];
    return url === undefined ? [] : [{ name: signalEndpoint(signal), value: url.split('$').join('$$') }];
  });
}

/** What one container gets from the collector Secret: env entries, and whether it mounts the Secret's files. */
export interface CredentialPlan {
  readonly env: readonly EnvVar[];
  readonly mount: boolean;
}

const NONE: CredentialPlan = { env: [], mount: false };

/** The file variables wanted for the configured items, less those the container sets. */
function fileEnv(env: readonly EnvVar[], config: InjectConfig): EnvVar[] {
  const { collector } = config;
  const file = (key: string): string => `${collector.mountPath}/${key}`;
  const wanted: EnvVar[] = [];
  if (collector.ca) wanted.push({ name: 'OTEL_EXPORTER_OTLP_CERTIFICATE', value: file(COLLECTOR_KEYS.ca) });
  // A client certificate without its key (or the reverse) is useless: both or neither.
  const clientSet = lastIndexOf(env, 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE') >= 0 || lastIndexOf(env, 'OTEL_EXPORTER_OTLP_CLIENT_KEY') >= 0;
  if (collector.clientCertificate && !clientSet) {
    wanted.push({ name: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', value: file(COLLECTOR_KEYS.clientCertificate) });
    wanted.push({ name: 'OTEL_EXPORTER_OTLP_CLIENT_KEY', value: file(COLLECTOR_KEYS.clientKey) });
  }
  return wanted.filter((entry) => lastIndexOf(env, entry.name) < 0);
}

/**
 * The headers, unless the container sets OTEL_EXPORTER_OTLP_HEADERS: that variable from the Secret (read at
 * start, by any OpenTelemetry SDK) and OTEL_INJECTOR_HEADERS_FILE, the same key as a file of the mounted Secret,
 * which our payloads read again when it changes (a renewed key needs no restart).
 */
function headerEnv(env: readonly EnvVar[], config: InjectConfig): EnvVar[] {
  const { collector } = config;
  if (!collector.headers || lastIndexOf(env, 'OTEL_EXPORTER_OTLP_HEADERS') >= 0) return [];
  // optional: a namespace without its copy yet starts the pod all the same, without the header.
  const secretKeyRef = { name: collector.secretName, key: COLLECTOR_KEYS.headers, optional: true };
  const entries: EnvVar[] = [{ name: 'OTEL_EXPORTER_OTLP_HEADERS', valueFrom: { secretKeyRef } }];
  if (lastIndexOf(env, HEADERS_FILE) < 0) entries.push({ name: HEADERS_FILE, value: `${collector.mountPath}/${COLLECTOR_KEYS.headers}` });
  return entries;
}

/** `container.env` is the container's own list, before the injection adds to it. */
export function credentialPlan(container: Container, config: InjectConfig): CredentialPlan {
  const env = container.env ?? [];
  if (!usesCollectorSecret(config.collector) || ownCollector(env)) return NONE;
  if ((container.volumeMounts ?? []).some((mount) => mount.mountPath === config.collector.mountPath)) return NONE;
  const files = [...fileEnv(env, config), ...headerEnv(env, config)];
  return { env: files, mount: files.some((entry) => entry.value !== undefined) };
}

/**
 * Appends the collector Secret volume (read-only files, optional: a pod in a namespace without the Secret
 * still starts, exporting without TLS material) with a name unique in the pod. Returns the volume name.
 * Mode 0444: the app's user is unknown and is not in the Secret's group unless the pod sets an fsGroup.
 */
export function addCollectorVolume(spec: PodSpec, config: InjectConfig): string {
  const name = uniqueName(COLLECTOR_VOLUME_NAME, new Set((spec.volumes ?? []).map((v) => v.name)), '-');
  const secret = { secretName: config.collector.secretName, optional: true, defaultMode: 0o444 };
  spec.volumes = [...(spec.volumes ?? []), { name, secret }];
  return name;
}
