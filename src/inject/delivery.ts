// Pure: how the payload reaches this pod (docs/delivery.md). `init-container` as configured; `image-volume`
// as configured unless the support snapshot shows the API server drops the field (it would strip the volume
// after admission and leave the app without its files); `auto`: the image volume only when a fresh snapshot
// shows the API server keeps the field and every node the pod can land on supports it, else the init container.
import type { InjectConfig } from '../config/index.js';
import type { DeliverySnapshot } from '../k8s/contract/delivery.js';
import { candidateNodes } from './node-match.js';
import type { DeliverySupport, PodSpec } from './types.js';

export type Delivery = 'init-container' | 'image-volume';

export interface DeliveryChoice {
  readonly delivery: Delivery;
  /** One short phrase, no `;` (it goes into the status annotation). */
  readonly reason: string;
}

const DROPPED = 'the API server drops volumes[].image (ImageVolume off)';
const init = (reason: string): DeliveryChoice => ({ delivery: 'init-container', reason });

/** Why a snapshot cannot be used for `auto`, or undefined when it can. */
function unusable(snapshot: DeliverySnapshot | undefined, nowMs: number, config: InjectConfig): string | undefined {
  if (snapshot === undefined) return 'no support data from the controller';
  const ageSeconds = Math.round((nowMs - Date.parse(snapshot.observedAt)) / 1000);
  if (ageSeconds > config.delivery.maxAgeSeconds) return `support data is ${ageSeconds}s old, older than ${config.delivery.maxAgeSeconds}s`;
  if (snapshot.imageVolumeField === false) return DROPPED;
  if (snapshot.imageVolumeField === null) return 'not known whether the API server keeps volumes[].image';
  return undefined;
}

function auto(spec: PodSpec, snapshot: DeliverySnapshot): DeliveryChoice {
  const { nodes, named } = candidateNodes(spec, snapshot.nodes);
  if (nodes.length === 0) return init(named === undefined ? 'no known node matches the pod\'s scheduling constraints' : `node ${named} is not in the support data`);
  const unsupported = nodes.filter((node) => !node.supported);
  const first = unsupported[0];
  if (first !== undefined) {
    const which = nodes.length === 1 ? '' : `${unsupported.length} of ${nodes.length} candidate nodes lack support, e.g. `;
    return init(`${which}node ${first.name} ${first.why}`);
  }
  return { delivery: 'image-volume', reason: nodes.length === 1 ? `node ${nodes[0]?.name ?? ''} supports image volumes` : `all ${nodes.length} candidate nodes support image volumes` };
}

/** The delivery for a pod with no payload of ours yet. */
export function chooseDelivery(spec: PodSpec, config: InjectConfig, support: DeliverySupport | undefined): DeliveryChoice {
  const { mode } = config.delivery;
  if (mode === 'init-container') return init('configured');
  const snapshot = support?.snapshot;
  const why = unusable(snapshot, support?.nowMs ?? 0, config);
  if (mode === 'image-volume') {
    // Only a fresh snapshot that shows the field dropped overrides the configured mode.
    return why === DROPPED ? init(`image-volume configured, but ${DROPPED}`) : { delivery: 'image-volume', reason: 'configured' };
  }
  const choice = why === undefined && snapshot !== undefined ? auto(spec, snapshot) : init(why ?? 'no support data from the controller');
  return { delivery: choice.delivery, reason: `auto: ${choice.reason.replaceAll(';', ',')}` };
}
