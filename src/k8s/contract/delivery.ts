// The delivery support snapshot (docs/delivery.md): what the controller learned about the cluster and
// publishes in a ConfigMap (key SUPPORT_KEY) in the release namespace; the webhook reads the same JSON from
// the mounted file and decides per pod between the init container and the image volume. Both sides parse
// and judge with this module, so a node the controller calls supported is one the webhook trusts.

/** The ConfigMap key holding the snapshot (the file name in the webhook's mount). */
export const SUPPORT_KEY = 'support.json';
export const SNAPSHOT_VERSION = 1;

export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface NodeSupport {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Only the NoSchedule and NoExecute taints (the ones that keep a pod off the node). */
  readonly taints: readonly NodeTaint[];
  /** `status.nodeInfo.containerRuntimeVersion`, e.g. `containerd://2.2.1`. */
  readonly runtime: string;
  /** `status.nodeInfo.kubeletVersion`, e.g. `v1.35.4`. */
  readonly kubelet: string;
  readonly supported: boolean;
  /** Why not, in a few words (`runs containerd 1.7.2, image volumes with subPath need 2.2+`); empty when supported. */
  readonly why: string;
}

export interface DeliverySnapshot {
  readonly version: number;
  /** When the controller last confirmed the content (it re-stamps it periodically). */
  readonly observedAt: string;
  /** Whether the API server keeps `volumes[].image` (a dry-run create); null: not known (probe failed). */
  readonly imageVolumeField: boolean | null;
  readonly nodes: readonly NodeSupport[];
}

/** A version `X.Y.Z` from `v1.35.4`, `2.2.1+unknown`, `1.6.20~ds1`; undefined when it has no X.Y. */
export function parseVersion(text: string): readonly [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function atLeast(version: readonly [number, number, number], minimum: readonly [number, number]): boolean {
  return version[0] > minimum[0] || (version[0] === minimum[0] && version[1] >= minimum[1]);
}

/**
 * Container runtimes that mount image volumes WITH subPath (the injection mounts one folder of the image per
 * runtime): containerd 2.2 (2.1 mounts image volumes but ignores subPath: the files would land elsewhere and
 * the app would fail), CRI-O 1.33. docs/delivery.md has the sources.
 */
export const RUNTIME_MINIMUM: Readonly<Record<string, readonly [number, number]>> = Object.freeze({ containerd: [2, 2], 'cri-o': [1, 33] });
/** Kubelets with the ImageVolume gate on by default (beta-on 1.35, GA 1.36); 1.33-1.34 have it off by default. */
export const KUBELET_MINIMUM: readonly [number, number] = [1, 35];

/** Whether a node can run a pod with our image volume, and why not (one short phrase). */
export function nodeSupport(runtime: string, kubelet: string): { supported: boolean; why: string } {
  const sep = runtime.indexOf('://');
  const name = sep < 0 ? '' : runtime.slice(0, sep);
  const version = parseVersion(sep < 0 ? '' : runtime.slice(sep + 3));
  const minimum = RUNTIME_MINIMUM[name];
  const shown = runtime === '' ? 'an unknown container runtime' : runtime.replace('://', ' ');
  if (minimum === undefined || version === undefined) return { supported: false, why: `runs ${shown}, not known to mount image volumes` };
  if (!atLeast(version, minimum)) return { supported: false, why: `runs ${shown}, image volumes with subPath need ${minimum.join('.')}+` };
  const kubeletVersion = parseVersion(kubelet);
  if (kubeletVersion === undefined || !atLeast(kubeletVersion, KUBELET_MINIMUM)) {
    return { supported: false, why: `runs kubelet ${kubelet || 'of unknown version'}, ImageVolume is on by default from 1.35` };
  }
  return { supported: true, why: '' };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

function parseTaint(raw: unknown): NodeTaint | undefined {
  if (!isRecord(raw) || typeof raw.key !== 'string' || typeof raw.effect !== 'string') return undefined;
  return typeof raw.value === 'string' ? { key: raw.key, value: raw.value, effect: raw.effect } : { key: raw.key, effect: raw.effect };
}

function isRawNode(raw: unknown): raw is Record<string, unknown> & { name: string; runtime: string; kubelet: string; labels: Record<string, string>; taints: unknown[]; supported: boolean } {
  if (!isRecord(raw)) return false;
  const strings = typeof raw.name === 'string' && typeof raw.runtime === 'string' && typeof raw.kubelet === 'string';
  return strings && isStringMap(raw.labels) && Array.isArray(raw.taints) && typeof raw.supported === 'boolean';
}

function parseNode(raw: unknown): NodeSupport | undefined {
  if (!isRawNode(raw)) return undefined;
  const taints = raw.taints.map(parseTaint);
  if (taints.some((t) => t === undefined)) return undefined;
  // Judged again here: a snapshot never makes a node supported that this release would not call supported.
  const judged = nodeSupport(raw.runtime, raw.kubelet);
  const supported = raw.supported && judged.supported;
  const given = typeof raw.why === 'string' ? raw.why : '';
  const why = supported ? '' : given || judged.why;
  return { name: raw.name, labels: { ...raw.labels }, taints: taints as NodeTaint[], runtime: raw.runtime, kubelet: raw.kubelet, supported, why };
}

const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** The snapshot in this text, validated and frozen; undefined when it is not one (the webhook then uses the init container). */
export function parseSnapshot(text: string): DeliverySnapshot | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(raw) || raw.version !== SNAPSHOT_VERSION || !isTime(raw.observedAt)) return undefined;
  const field = raw.imageVolumeField;
  if (!(field === true || field === false || field === null) || !Array.isArray(raw.nodes)) return undefined;
  const nodes = raw.nodes.map(parseNode);
  if (nodes.some((n) => n === undefined)) return undefined;
  return deepFreeze({ version: SNAPSHOT_VERSION, observedAt: raw.observedAt, imageVolumeField: field, nodes: nodes as NodeSupport[] });
}

/** The snapshot as the controller writes it (stable key order: an unchanged cluster gives the same text). */
export function renderSnapshot(snapshot: DeliverySnapshot): string {
  return JSON.stringify({ version: snapshot.version, observedAt: snapshot.observedAt, imageVolumeField: snapshot.imageVolumeField, nodes: snapshot.nodes });
}

/** The ConfigMap's name for a release: `<webhook configuration name>-delivery` (like the Lease's). */
export function deliveryConfigMapName(webhookConfigName: string): string {
  return `${webhookConfigName}-delivery`;
}
