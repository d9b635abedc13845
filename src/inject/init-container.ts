import type { InjectConfig } from '../config/index.js';
import { uniqueName } from './env.js';
import type { Container, PodSpec } from './types.js';

export const INIT_CONTAINER_NAME = 'otel-injector';
export const VOLUME_NAME = 'otel-injector';
const OURS = /^otel-injector(-\d+)?$/;

/** The volume of an earlier injection: mounted at the mount path by an init container of ours. */
export function existingVolume(spec: PodSpec, config: InjectConfig): string | undefined {
  const init = (spec.initContainers ?? []).find(
    (container) => OURS.test(container.name) && (container.volumeMounts ?? []).some((m) => m.mountPath === config.mountPath),
  );
  const mount = init?.volumeMounts?.find((m) => m.mountPath === config.mountPath);
  return mount !== undefined && (spec.volumes ?? []).some((volume) => volume.name === mount.name) ? mount.name : undefined;
}

function initContainer(name: string, volumeName: string, config: InjectConfig): Container {
  return {
    name,
    image: config.preloadImage,
    imagePullPolicy: config.imagePullPolicy,
    command: [...config.initCommand],
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
 * Appends the preload volume (emptyDir with a sizeLimit) and the init container that fills it, with names
 * unique against what the pod already has. Returns the volume name.
 */
export function addPreloadVolume(spec: PodSpec, config: InjectConfig): string {
  const volumeName = uniqueName(VOLUME_NAME, new Set((spec.volumes ?? []).map((v) => v.name)), '-');
  const initName = uniqueName(INIT_CONTAINER_NAME, allContainerNames(spec), '-');
  spec.volumes = [...(spec.volumes ?? []), { name: volumeName, emptyDir: { sizeLimit: config.volumeSizeLimit } }];
  spec.initContainers = [...(spec.initContainers ?? []), initContainer(initName, volumeName, config)];
  return volumeName;
}
