// Where instrumented pods send OTLP and with which credentials: per-signal endpoints, and the
// collector Secret each pod mounts from its own namespace (CA bundle, client certificate and key, headers).
// Only names and which items exist are configuration: no certificate, key or header value ever is.
import { ConfigError } from '../errors.js';
import type { EnvReader } from './read.js';

export type Signal = 'traces' | 'metrics' | 'logs';
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

/** The keys of the collector Secret (the same in every namespace), as the pods' files are named. */
export const COLLECTOR_KEYS = Object.freeze({ ca: 'ca.crt', clientCertificate: 'tls.crt', clientKey: 'tls.key', headers: 'headers' });

export interface CollectorConfig {
  /** Full OTLP/HTTP URLs per signal (with their /v1/<signal> path), given as OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT. */
  readonly endpoints: Readonly<Partial<Record<Signal, string>>>;
  /** The Secret, in each instrumented pod's own namespace, that holds the items below. */
  readonly secretName: string;
  /** Where its files are mounted read-only in the instrumented containers. */
  readonly mountPath: string;
  /** `ca.crt`: the CA bundle that verifies the collector (OTEL_EXPORTER_OTLP_CERTIFICATE). */
  readonly ca: boolean;
  /** `tls.crt` and `tls.key`: the client certificate for mTLS (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE, _CLIENT_KEY). */
  readonly clientCertificate: boolean;
  /** `headers`: the `name=value,…` text, as OTEL_EXPORTER_OTLP_HEADERS (a secretKeyRef) and as a file (OTEL_INJECTOR_HEADERS_FILE). */
  readonly headers: boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function secretName(read: EnvReader): string {
  const value = read.string('INJECT_COLLECTOR_SECRET_NAME', 'otel-injector-collector');
  if (!DNS_SUBDOMAIN.test(value) || value.length > 253) {
    throw new ConfigError('INJECT_COLLECTOR_SECRET_NAME', `"${value}" is not a valid Secret name`);
  }
  return value;
}

function mountPath(read: EnvReader, payloadMountPath: string): string {
  const name = 'INJECT_COLLECTOR_MOUNT_PATH';
  const value = read.string(name, '/var/run/otel-injector/collector').replace(/\/+$/, '');
  if (!value.startsWith('/') || value.includes(':') || value.split('/').includes('..')) {
    throw new ConfigError(name, `"${value}" must be an absolute path without ':' or '..'`);
  }
  const nested = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`);
  if (nested(value, payloadMountPath) || nested(payloadMountPath, value)) {
    throw new ConfigError(name, `"${value}" overlaps the payload's mount path ${payloadMountPath}`);
  }
  return value;
}

/** Parses the collector settings; `endpoint` is INJECT_OTLP_ENDPOINT, already validated. */
export function parseCollector(read: EnvReader, endpoint: string, payloadMountPath: string): CollectorConfig {
  const endpoints: Partial<Record<Signal, string>> = {};
  for (const signal of SIGNALS) {
    const url = read.url(`INJECT_OTLP_${signal.toUpperCase()}_ENDPOINT`, undefined);
    if (url !== undefined) endpoints[signal] = url;
  }
  const ca = read.bool('INJECT_COLLECTOR_CA', false);
  const clientCertificate = read.bool('INJECT_COLLECTOR_CLIENT_CERT', false);
  const used = SIGNALS.map((signal) => endpoints[signal] ?? endpoint);
  if ((ca || clientCertificate) && !used.some((url) => url.startsWith('https:'))) {
    const name = ca ? 'INJECT_COLLECTOR_CA' : 'INJECT_COLLECTOR_CLIENT_CERT';
    throw new ConfigError(name, 'is set but every collector endpoint is http://: certificates are only used over https://');
  }
  return {
    endpoints,
    secretName: secretName(read),
    mountPath: mountPath(read, payloadMountPath),
    ca,
    clientCertificate,
    headers: read.bool('INJECT_COLLECTOR_HEADERS', false),
  };
}

/** True when pods get anything from the collector Secret. */
export function usesCollectorSecret(collector: CollectorConfig): boolean {
  return collector.ca || collector.clientCertificate || collector.headers;
}
