// Where a pod's payload comes from: the payload of an earlier pass (an init container's emptyDir or our image
// volume: kept as it is, a reinvocation never switches the delivery of a pod), else a new one in the delivery
// chosen for the pod (delivery.ts). Returns how a container mounts it and the status's delivery segment.
import type { InjectConfig } from '../config/index.js';
import { ANNOTATION } from '../k8s/contract/annotations.js';
import { deliveryOf } from '../k8s/contract/status.js';
import { chooseDelivery, type DeliveryChoice } from './delivery.js';
import { addImageVolume, existingImageVolume, imageMounts } from './image-volume.js';
import { addPayloadVolume, copyAlso, existingPayload, type ExistingPayload } from './init-container.js';
import type { DeliverySupport, Pod, VolumeMount } from './types.js';

export type Existing = { readonly kind: 'init-container'; readonly payload: ExistingPayload } | { readonly kind: 'image-volume'; readonly volume: string };

export function existingOf(pod: Pod, config: InjectConfig): Existing | undefined {
  const payload = existingPayload(pod.spec, config);
  if (payload !== undefined) return { kind: 'init-container', payload };
  const volume = existingImageVolume(pod.spec, config);
  return volume === undefined ? undefined : { kind: 'image-volume', volume };
}

export const volumeOf = (existing: Existing | undefined): string | undefined =>
  existing === undefined ? undefined : existing.kind === 'image-volume' ? existing.volume : existing.payload.volume;

export interface PayloadPlan {
  /** The payload mounts of a container that gets these runtimes. */
  readonly mounts: (runtimeNames: readonly string[]) => VolumeMount[];
  /** The delivery for the status annotation (`image-volume (auto: …)`); undefined: the init container as configured. */
  readonly status: string | undefined;
  /** The decision made for this review (undefined when the pod kept the delivery of an earlier pass). */
  readonly choice: DeliveryChoice | undefined;
}

const initMounts = (volume: string, config: InjectConfig) => (): VolumeMount[] => [{ name: volume, mountPath: config.mountPath, readOnly: true }];
const imageMountsOf = (volume: string, config: InjectConfig) => (names: readonly string[]): VolumeMount[] => imageMounts(volume, names, config);

/**
 * The payload for these runtimes, added to the pod (clone) when it has none. Undefined when an earlier init
 * container cannot copy them (a command of another form: an earlier release of the injector).
 */
export function providePayload(pod: Pod, existing: Existing | undefined, needed: readonly string[], config: InjectConfig, support: DeliverySupport | undefined): PayloadPlan | undefined {
  const earlier = deliveryOf(pod.metadata?.annotations?.[ANNOTATION.status]);
  if (existing?.kind === 'image-volume') {
    return { mounts: imageMountsOf(existing.volume, config), status: earlier ?? 'image-volume (an earlier pass)', choice: undefined };
  }
  if (existing !== undefined) {
    if (!copyAlso(pod.spec, existing.payload, needed, config)) return undefined;
    return { mounts: initMounts(existing.payload.volume, config), status: earlier, choice: undefined };
  }
  const choice = chooseDelivery(pod.spec, config, support);
  const status = config.delivery.mode === 'init-container' ? undefined : `${choice.delivery} (${choice.reason})`;
  if (choice.delivery === 'image-volume') return { mounts: imageMountsOf(addImageVolume(pod.spec, config), config), status, choice };
  return { mounts: initMounts(addPayloadVolume(pod.spec, needed, config), config), status, choice };
}
