// Where the controller takes the items of the collector Secret (the collector's CA, client certificate and
// header values) from: objects of the release namespace named in the chart's `collector` values. Only names and keys are configuration; an inline CA is a
// certificate (not secret). The controller composes them into `collector.secretName` in each opted-in namespace.
import { ConfigError } from '../errors.js';
import type { EnvReader } from './read.js';

export interface ObjectKey {
  readonly name: string;
  readonly key: string;
}

export interface HeaderSource {
  /** The header's name, e.g. `signoz-ingestion-key`. */
  readonly name: string;
  readonly secretName: string;
  readonly key: string;
}

export interface CollectorSources {
  readonly caConfigMap: ObjectKey | undefined;
  readonly caSecret: ObjectKey | undefined;
  readonly caPem: string | undefined;
  /** A `kubernetes.io/tls` Secret: keys `tls.crt` and `tls.key`. */
  readonly clientCertSecret: string | undefined;
  readonly headers: readonly HeaderSource[];
  /** Seconds between two reads of the sources (and checks of the copies). */
  readonly syncSeconds: number;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const KEY = /^[-._a-zA-Z0-9]+$/;
const HEADER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function objectKey(read: EnvReader, prefix: string): ObjectKey | undefined {
  const name = read.string(`${prefix}_NAME`, '');
  if (name === '') return undefined;
  const key = read.string(`${prefix}_KEY`, 'ca.crt');
  if (!NAME.test(name)) throw new ConfigError(`${prefix}_NAME`, `"${name}" is not a valid object name`);
  if (!KEY.test(key)) throw new ConfigError(`${prefix}_KEY`, `"${key}" is not a valid key`);
  return { name, key };
}

function headers(read: EnvReader): HeaderSource[] {
  const raw = read.json('COLLECTOR_HEADER_SOURCES');
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError('COLLECTOR_HEADER_SOURCES', 'must be a JSON list of {name, secretName, key}');
  return raw.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    const [name, secretName, key] = [str(e.name), str(e.secretName), str(e.key)];
    if (!HEADER.test(name) || !NAME.test(secretName) || !KEY.test(key)) {
      throw new ConfigError('COLLECTOR_HEADER_SOURCES', `entry ${i} needs a header name, a Secret name and a key`);
    }
    return Object.freeze({ name, secretName, key });
  });
}

export function parseCollectorSources(read: EnvReader): CollectorSources {
  const caConfigMap = objectKey(read, 'COLLECTOR_CA_CONFIGMAP');
  const caSecret = objectKey(read, 'COLLECTOR_CA_SECRET');
  const pem = read.string('COLLECTOR_CA_PEM', '').trim();
  const caPem = pem === '' ? undefined : pem;
  if ([caConfigMap, caSecret, caPem].filter((s) => s !== undefined).length > 1) {
    throw new ConfigError('COLLECTOR_CA_PEM', 'set only one CA source: a ConfigMap, a Secret or the PEM inline');
  }
  if (caPem !== undefined && !caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('COLLECTOR_CA_PEM', 'is not a PEM certificate bundle');
  }
  const client = read.string('COLLECTOR_CLIENT_CERT_SECRET', '');
  if (client !== '' && !NAME.test(client)) throw new ConfigError('COLLECTOR_CLIENT_CERT_SECRET', `"${client}" is not a valid Secret name`);
  return Object.freeze({
    caConfigMap,
    caSecret,
    caPem,
    clientCertSecret: client === '' ? undefined : client,
    headers: Object.freeze(headers(read)),
    syncSeconds: read.int('COLLECTOR_SYNC_SECONDS', 10, 1, 3600),
  });
}

/** True when the controller has something to copy into the opted-in namespaces. */
export function hasCollectorSources(s: CollectorSources): boolean {
  return s.caConfigMap !== undefined || s.caSecret !== undefined || s.caPem !== undefined || s.clientCertSecret !== undefined || s.headers.length > 0;
}
