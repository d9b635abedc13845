// The image-volume delivery: the payload image itself mounted read-only (Kubernetes image volumes, KEP-4639),
// one mount per runtime at the path the runtimes read (`<mount>/<runtime>`), each with the runtime's folder
// of the image as subPath. No init container, no copy, no emptyDir.
import type { InjectConfig } from '../config/index.js';
import { uniqueName } from './env.js';
import { IMAGE_PAYLOAD_DIR, VOLUME_NAME } from './init-container.js';
import type { PodSpec, VolumeMount } from './types.js';

const OURS = /^otel-injector(-\d+)?$/;

/** The mounts a container gets for these runtimes from the image volume. */
export function imageMounts(volumeName: string, runtimeNames: readonly string[], config: InjectConfig): VolumeMount[] {
  return runtimeNames.map((name) => ({
    name: volumeName,
    mountPath: `${config.mountPath}/${name}`,
    subPath: `${IMAGE_PAYLOAD_DIR.slice(1)}/${name}`,
    readOnly: true,
  }));
}

/** The image volume of an earlier pass (ours by name, an image volume, mounted under the mount path), by name. */
export function existingImageVolume(spec: PodSpec, config: InjectConfig): string | undefined {
  const prefix = `${config.mountPath}/`;
  const mounted = new Set(spec.containers.flatMap((c) => (c.volumeMounts ?? []).filter((m) => m.mountPath.startsWith(prefix)).map((m) => m.name)));
  return (spec.volumes ?? []).find((v) => OURS.test(v.name) && typeof v.image === 'object' && v.image !== null && mounted.has(v.name))?.name;
}

/** Appends the image volume (the payload image as configured: a digest stays as given), named uniquely. */
export function addImageVolume(spec: PodSpec, config: InjectConfig): string {
  const volumeName = uniqueName(VOLUME_NAME, new Set((spec.volumes ?? []).map((v) => v.name)), '-');
  spec.volumes = [...(spec.volumes ?? []), { name: volumeName, image: { reference: config.payloadImage, pullPolicy: config.imagePullPolicy } }];
  return volumeName;
}
