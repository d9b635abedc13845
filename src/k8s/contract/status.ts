// The values of the pod annotation ANNOTATION.status: written by the webhook, read by the controller (is
// this pod instrumented?) and by the CLI (what happened to it?).
//   injected: node,python                 instrumented for these runtimes
//   injected: python; env forced: A,B     and these variables were set over the container's own
//   injected: node; delivery: image-volume (auto: node w1 supports image volumes)
//                                         how the payload got there and why (INJECT_DELIVERY image-volume or
//                                         auto; no segment: the init container, as configured, docs/delivery.md)
//   skipped: <reason>                     left alone, for a reason the webhook decided

export const STATUS_INJECTED = 'injected';
export const STATUS_SKIPPED = 'skipped';

/**
 * The status of a pod instrumented for these runtimes; `forced`: variables set over what the containers had;
 * `delivery`: `<init-container|image-volume> (<reason>)`, without `;`.
 */
export function injectedStatus(runtimes: readonly string[], forced: readonly string[] = [], delivery?: string): string {
  const status = `${STATUS_INJECTED}: ${runtimes.join(',')}`;
  const withForced = forced.length === 0 ? status : `${status}; env forced: ${forced.join(',')}`;
  return delivery === undefined ? withForced : `${withForced}; ${DELIVERY_PREFIX}${delivery}`;
}

const DELIVERY_PREFIX = 'delivery: ';

/** The delivery segment of a status (`image-volume (auto: …)`), undefined when it has none. */
export function deliveryOf(value: string | undefined): string | undefined {
  const segment = value?.split('; ').find((part) => part.startsWith(DELIVERY_PREFIX));
  return segment?.slice(DELIVERY_PREFIX.length);
}

/** The status of a pod the webhook left alone. */
export function skippedStatus(reason: string): string {
  return `${STATUS_SKIPPED}: ${reason}`;
}

export interface ParsedStatus {
  readonly state: typeof STATUS_INJECTED | typeof STATUS_SKIPPED;
  /** What follows `<state>:`: the runtimes (and forced variables), or the reason. */
  readonly detail: string;
}

const STATUS = /^(injected|skipped)(?::\s*(.*))?$/s;

/** The state and detail of a status value; undefined when absent or neither `injected[: …]` nor `skipped[: …]`. */
export function parseStatus(value: string | undefined): ParsedStatus | undefined {
  const match = value === undefined ? null : STATUS.exec(value);
  if (match === null) return undefined;
  return { state: match[1] as ParsedStatus['state'], detail: match[2] ?? '' };
}
