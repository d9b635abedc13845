// How the payload reaches a pod (docs/delivery.md): copied by an init container into an emptyDir (today's
// way, the default), mounted as an image volume, or `auto`: the image volume where the controller's support
// snapshot says it works for the pod, else the init container.
import { ConfigError } from '../errors.js';
import type { EnvReader } from './read.js';

export type DeliveryMode = 'init-container' | 'image-volume' | 'auto';

export interface DeliveryConfig {
  readonly mode: DeliveryMode;
  /** The controller's snapshot as the webhook sees it (the chart mounts the ConfigMap here, optional). */
  readonly supportFile: string;
  /** A snapshot older than this counts as missing (`auto` then uses the init container). */
  readonly maxAgeSeconds: number;
  /** How often the webhook looks at the file for a new snapshot. */
  readonly pollSeconds: number;
}

export function parseDelivery(read: EnvReader): DeliveryConfig {
  const supportFile = read.string('INJECT_DELIVERY_SUPPORT_FILE', '/etc/otel-injector/delivery/support.json');
  if (!supportFile.startsWith('/')) throw new ConfigError('INJECT_DELIVERY_SUPPORT_FILE', `"${supportFile}" must be an absolute path`);
  return {
    mode: read.oneOf<DeliveryMode>('INJECT_DELIVERY', 'init-container', ['init-container', 'image-volume', 'auto']),
    supportFile,
    maxAgeSeconds: read.int('INJECT_DELIVERY_MAX_AGE_SECONDS', 900, 60, 86_400),
    pollSeconds: read.int('INJECT_DELIVERY_POLL_SECONDS', 5, 1, 300),
  };
}
