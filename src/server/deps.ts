// What the webhook's HTTP app is given (src/main.ts builds it, tests their own); a module of its own so that
// the routes (mutate.ts) and the app that registers them (app.ts) do not import each other.
import type { Logger } from 'pino';
import type { TlsMaterial } from '../certs/types.js';
import type { Clock } from '../clock.js';
import type { DeliverySnapshot } from '../k8s/contract/delivery.js';
import type { Telemetry } from '../telemetry/types.js';
import type { Readiness } from './health.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly readiness: Readiness;
  /** The controller's delivery support snapshot as last read (INJECT_DELIVERY auto, image-volume); omitted: none. */
  readonly deliverySupport?: () => DeliverySnapshot | undefined;
  /** Serving certificate; omitted in tests that use app.inject() over plain HTTP. */
  readonly tls?: TlsMaterial;
}
