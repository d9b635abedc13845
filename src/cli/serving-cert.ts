// Where the webhook's serving certificate really is, read from the Deployment behind the webhook's Service, the
// way the webhook itself finds it (src/config): CERT_MODE self-managed reads and writes the Secret
// CERT_SECRET_NAME; files mode reads TLS_CERT_FILE, which is on a mounted volume (a Secret from cert-manager or
// certificates.secret.name, a ConfigMap, a projected volume); ephemeral lives in memory only.
import type { V1Container, V1Deployment, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/** One API object that may hold the certificate, under `key`. */
export interface CertObject {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly name: string;
  readonly key: string;
}

export type CertSource =
  | { readonly where: string; readonly objects: readonly CertObject[] }
  | { readonly unreadable: string };

type EnvValue = { value: string } | { from: true } | undefined;

function envOf(container: V1Container, name: string): EnvValue {
  const entry = (container.env ?? []).filter((e) => e.name === name).at(-1);
  if (entry === undefined) return undefined;
  return entry.value === undefined ? { from: true } : { value: entry.value };
}

/** The container that serves: the one configured with the certificate variables, or the first. */
function servingContainer(deployment: V1Deployment): V1Container | undefined {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  return containers.find((c) => envOf(c, 'CERT_MODE') !== undefined || envOf(c, 'TLS_CERT_FILE') !== undefined) ?? containers[0];
}

/** The mount holding `file` (the deepest), and the file's path inside the volume. */
function mountOf(container: V1Container, file: string): { mount: V1VolumeMount; path: string } | undefined {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const mount of mounts) {
    const base = mount.mountPath.replace(/\/+$/, '');
    const sub = mount.subPath ?? '';
    if (file === base && sub !== '') return { mount, path: sub };
    if (file.startsWith(`${base}/`)) return { mount, path: [sub, file.slice(base.length + 1)].filter((p) => p !== '').join('/') };
  }
  return undefined;
}

/** The key of a Secret/ConfigMap volume that appears as `path` (items remap keys to paths). */
function keyFor(items: ReadonlyArray<{ key: string; path: string }> | undefined, path: string): string | undefined {
  if (items === undefined || items.length === 0) return path.includes('/') ? undefined : path;
  return items.find((item) => item.path === path)?.key;
}

function volumeObjects(volume: V1Volume, path: string): CertObject[] | string {
  const one = (kind: CertObject['kind'], name: string | undefined, items: ReadonlyArray<{ key: string; path: string }> | undefined): CertObject[] => {
    const key = keyFor(items, path);
    return name === undefined || key === undefined ? [] : [{ kind, name, key }];
  };
  if (volume.secret !== undefined) return one('Secret', volume.secret.secretName, volume.secret.items);
  if (volume.configMap !== undefined) return one('ConfigMap', volume.configMap.name, volume.configMap.items);
  if (volume.projected !== undefined) {
    return (volume.projected.sources ?? []).flatMap((source) => [
      ...(source.secret === undefined ? [] : one('Secret', source.secret.name, source.secret.items)),
      ...(source.configMap === undefined ? [] : one('ConfigMap', source.configMap.name, source.configMap.items)),
    ]);
  }
  const type = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
  return `volume ${volume.name} is a ${type} volume, not readable through the API`;
}

function fromFile(deployment: V1Deployment, container: V1Container, file: string): CertSource {
  const found = mountOf(container, file);
  if (found === undefined) return { unreadable: `TLS_CERT_FILE ${file} is on no volume the container mounts` };
  const volume = (deployment.spec?.template.spec?.volumes ?? []).find((v) => v.name === found.mount.name);
  if (volume === undefined) return { unreadable: `volume ${found.mount.name} (mounted at ${found.mount.mountPath}) is not in the pod template` };
  const objects = volumeObjects(volume, found.path);
  if (typeof objects === 'string') return { unreadable: objects };
  if (objects.length === 0) return { unreadable: `volume ${volume.name} has no key for ${found.path}` };
  return { where: `TLS_CERT_FILE ${file}, volume ${volume.name}`, objects };
}

/** A variable's literal value; `valueFrom` cannot be followed from here. */
function literal(container: V1Container, name: string): { value: string | undefined } | { unreadable: string } {
  const found = envOf(container, name);
  if (found !== undefined && !('value' in found)) return { unreadable: `${name} comes from valueFrom` };
  return { value: found?.value };
}

function selfManaged(container: V1Container): CertSource {
  const secret = literal(container, 'CERT_SECRET_NAME');
  if ('unreadable' in secret) return secret;
  const name = secret.value ?? 'otel-injector-tls';
  return { where: `CERT_MODE self-managed, CERT_SECRET_NAME ${name}`, objects: [{ kind: 'Secret', name, key: 'tls.crt' }] };
}

/** Where the Deployment's webhook reads its serving certificate from. */
export function servingCertSource(deployment: V1Deployment): CertSource {
  const container = servingContainer(deployment);
  if (container === undefined) return { unreadable: 'the Deployment has no container' };
  const mode = literal(container, 'CERT_MODE');
  const file = literal(container, 'TLS_CERT_FILE');
  if ('unreadable' in mode) return mode;
  if ('unreadable' in file) return file;
  const certMode = mode.value ?? (file.value === undefined ? 'ephemeral' : 'files');
  if (certMode === 'self-managed') return selfManaged(container);
  if (certMode !== 'files') return { unreadable: `CERT_MODE ${certMode}: the certificate exists only in the webhook's memory` };
  return file.value === undefined ? { unreadable: 'CERT_MODE files without TLS_CERT_FILE' } : fromFile(deployment, container, file.value);
}

/** Whether a pod template's labels are selected by a Service selector (an empty selector selects nothing). */
export function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels?.[key] === value);
}
