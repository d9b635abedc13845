// The collector Secret's data, composed from the chart's sources in the release namespace (issue 21): the CA
// (a ConfigMap, a Secret or inline), the client certificate and key, and the headers as one
// `name=value,…` text with percent-encoded values. The controller writes it into every opted-in namespace
// (collector-copy.ts); `doctor` composes it the same way to tell a current copy from a stale one. Errors name
// the source and key that is missing or unreadable, never a value.
import { COLLECTOR_KEYS } from '../config/collector.js';
import type { CollectorSources } from '../config/collector-sources.js';
import type { CollectorKube } from './collector-kube.js';

/** Base64 values by key, as a Secret's `data`. */
export type CollectorData = Record<string, string>;

/** What composing needs: reads of the release namespace (undefined when the object does not exist). */
export type SourceReader = Pick<CollectorKube, 'secretData' | 'configMapData'>;

/** What a source lacks or why it cannot be read, as one line without any value. */
export class SourceError extends Error {}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The copy's data from the sources; throws SourceError when one is missing or unreadable. */
export async function composeCollectorData(sources: CollectorSources, releaseNamespace: string, reader: SourceReader): Promise<CollectorData> {
  const secretKey = async (name: string, key: string, what: string): Promise<string> => {
    let values: CollectorData | undefined;
    try {
      values = await reader.secretData(releaseNamespace, name);
    } catch (error) {
      throw new SourceError(`${what}: Secret ${releaseNamespace}/${name} unreadable (${(error as Error).message})`);
    }
    if (values === undefined) throw new SourceError(`${what}: Secret ${releaseNamespace}/${name} not found`);
    const value = values[key];
    if (value === undefined || value === '') throw new SourceError(`${what}: Secret ${releaseNamespace}/${name} has no key ${key}`);
    return value;
  };
  const data: CollectorData = {};
  const ca = await readCa(sources, releaseNamespace, reader, secretKey);
  if (ca !== undefined) data[COLLECTOR_KEYS.ca] = ca;
  if (sources.clientCertSecret !== undefined) {
    data[COLLECTOR_KEYS.clientCertificate] = await secretKey(sources.clientCertSecret, 'tls.crt', 'client certificate');
    data[COLLECTOR_KEYS.clientKey] = await secretKey(sources.clientCertSecret, 'tls.key', 'client certificate');
  }
  if (sources.headers.length > 0) {
    const pairs: string[] = [];
    for (const h of sources.headers) {
      const value = Buffer.from(await secretKey(h.secretName, h.key, `header ${h.name}`), 'base64').toString('utf8').trim();
      // The OTEL_EXPORTER_OTLP_HEADERS format: percent-encoded values, as both payloads decode them.
      pairs.push(`${h.name}=${encodeURIComponent(value)}`);
    }
    data[COLLECTOR_KEYS.headers] = b64(pairs.join(','));
  }
  return data;
}

/** `ca.crt` (base64) from the one CA source, if any. */
async function readCa(
  sources: CollectorSources,
  ns: string,
  reader: SourceReader,
  secretKey: (name: string, key: string, what: string) => Promise<string>,
): Promise<string | undefined> {
  if (sources.caPem !== undefined) return b64(`${sources.caPem}\n`);
  if (sources.caSecret !== undefined) return secretKey(sources.caSecret.name, sources.caSecret.key, 'CA');
  if (sources.caConfigMap === undefined) return undefined;
  const { name, key } = sources.caConfigMap;
  let values: CollectorData | undefined;
  try {
    values = await reader.configMapData(ns, name);
  } catch (error) {
    throw new SourceError(`CA: ConfigMap ${ns}/${name} unreadable (${(error as Error).message})`);
  }
  if (values === undefined) throw new SourceError(`CA: ConfigMap ${ns}/${name} not found`);
  const pem = values[key];
  if (pem === undefined || pem.trim() === '') throw new SourceError(`CA: ConfigMap ${ns}/${name} has no key ${key}`);
  return b64(pem);
}
