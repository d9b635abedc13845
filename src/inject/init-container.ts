import type { InjectConfig } from '../config/index.js';
import { uniqueName } from './env.js';
import type { Container, PodSpec } from './types.js';

export const INIT_CONTAINER_NAME = 'otel-injector';
export const VOLUME_NAME = 'otel-injector';
/** Where the payload image keeps each runtime's folder (the Dockerfile's `payload` stage). */
export const IMAGE_PAYLOAD_DIR = '/otel-payload';
const OURS = /^otel-injector(-\d+)?$/;
const COPY = ['/bin/cp', '-R'] as const;

/**
 * The default init command: copy the folders of these runtimes, and only those, into the volume. A pod pays
 * for the runtimes it gets (`cp -R` without -p creates the files as the running user: any uid works).
 */
export function copyCommand(runtimeNames: readonly string[], config: InjectConfig): string[] {
  return [...COPY, ...runtimeNames.map((name) => `${IMAGE_PAYLOAD_DIR}/${name}`), `${config.mountPath}/`];
}

/**
 * The runtimes whose folders an init container of ours copies: all of them for a configured command (the
 * operator's own image layout), the named ones for the default command, undefined for a command of another
 * form (an earlier release of the injector, which copied a different layout).
 */
function copiedRuntimes(value: unknown, config: InjectConfig): readonly string[] | 'all' | undefined {
  if (config.initCommand !== undefined) return 'all';
  const command = Array.isArray(value) && value.every((arg) => typeof arg === 'string') ? (value as string[]) : undefined;
  if (command === undefined || command[0] !== COPY[0] || command[1] !== COPY[1] || command.at(-1) !== `${config.mountPath}/`) return undefined;
  const sources = command.slice(COPY.length, -1);
  const prefix = `${IMAGE_PAYLOAD_DIR}/`;
  return sources.every((source) => source.startsWith(prefix)) ? sources.map((source) => source.slice(prefix.length)) : undefined;
}

/** The payload volume of an earlier pass: mounted at the mount path by an init container of ours. */
export interface ExistingPayload {
  readonly volume: string;
  /** Index of the init container that fills it. */
  readonly init: number;
  readonly copied: readonly string[] | 'all' | undefined;
}

export function existingPayload(spec: PodSpec, config: InjectConfig): ExistingPayload | undefined {
  const inits = spec.initContainers ?? [];
  const init = inits.findIndex(
    (container) => OURS.test(container.name) && (container.volumeMounts ?? []).some((m) => m.mountPath === config.mountPath),
  );
  const mount = inits[init]?.volumeMounts?.find((m) => m.mountPath === config.mountPath);
  if (mount === undefined || !(spec.volumes ?? []).some((volume) => volume.name === mount.name)) return undefined;
  return { volume: mount.name, init, copied: copiedRuntimes(inits[init]?.command, config) };
}

/**
 * Makes the init container of an earlier pass copy these runtimes too (copy-on-write). Returns false when it
 * cannot: its command is of another form, so the folders these runtimes need may not be there.
 */
export function copyAlso(spec: PodSpec, existing: ExistingPayload, runtimeNames: readonly string[], config: InjectConfig): boolean {
  const { copied } = existing;
  if (copied === 'all') return true;
  if (copied === undefined) return false;
  const missing = runtimeNames.filter((name) => !copied.includes(name));
  if (missing.length === 0) return true;
  const inits = [...(spec.initContainers ?? [])];
  const init = inits[existing.init];
  if (init === undefined) return false;
  inits[existing.init] = { ...init, command: copyCommand([...copied, ...missing], config) };
  spec.initContainers = inits;
  return true;
}

function initContainer(name: string, volumeName: string, runtimeNames: readonly string[], config: InjectConfig): Container {
  return {
    name,
    image: config.payloadImage,
    imagePullPolicy: config.imagePullPolicy,
    command: config.initCommand === undefined ? copyCommand(runtimeNames, config) : [...config.initCommand],
    resources: {
      requests: { ...config.initResources.requests },
      limits: { ...config.initResources.limits },
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: config.initRunAsUser,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: volumeName, mountPath: config.mountPath }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function allContainerNames(spec: PodSpec): Set<string> {
  const ephemeral = Array.isArray(spec.ephemeralContainers) ? (spec.ephemeralContainers as Container[]) : [];
  return new Set([...spec.containers, ...(spec.initContainers ?? []), ...ephemeral].map((c) => c.name));
}

/**
 * Appends the payload volume (emptyDir with a sizeLimit) and the init container that fills it with these
 * runtimes' folders, with names unique against what the pod already has. Returns the volume name.
 */
export function addPayloadVolume(spec: PodSpec, runtimeNames: readonly string[], config: InjectConfig): string {
  const volumeName = uniqueName(VOLUME_NAME, new Set((spec.volumes ?? []).map((v) => v.name)), '-');
  const initName = uniqueName(INIT_CONTAINER_NAME, allContainerNames(spec), '-');
  spec.volumes = [...(spec.volumes ?? []), { name: volumeName, emptyDir: { sizeLimit: config.volumeSizeLimit } }];
  spec.initContainers = [...(spec.initContainers ?? []), initContainer(initName, volumeName, runtimeNames, config)];
  return volumeName;
}
