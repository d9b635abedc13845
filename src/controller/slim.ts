// The pod cache's transform (like client-go's SetTransform / controller-runtime's cache transforms): a pod
// as the API sends it (a whole Pod or a metadata-only PartialObjectMetadata) becomes the few fields the
// controller reads, before anything is stored. Everything else (spec, status but the phase, managed
// fields, other labels' copies, other annotations) is dropped at once. Values many pods share (label
// sets, owner references, annotation values, phases) are pooled: one object for all the pods of a
// ReplicaSet instead of one per pod.
import { ANNOTATION, RESTART } from '../k8s/contract/annotations.js';
import type { ObjectMeta, PodView } from './types.js';

/** The only pod annotations the controller reads (classify.ts and the adoption of earlier rollouts). */
export const KEPT_ANNOTATIONS: readonly string[] = Object.freeze([
  ANNOTATION.inject,
  ANNOTATION.status,
  ANNOTATION.payloadImage,
  ANNOTATION.legacyPayloadImage,
  RESTART.restartedAt,
]);

type Labels = Readonly<Record<string, string>>;
type OwnerRef = NonNullable<ObjectMeta['ownerReferences']>[number];

interface RawMeta {
  name?: unknown;
  namespace?: unknown;
  uid?: unknown;
  creationTimestamp?: unknown;
  deletionTimestamp?: unknown;
  labels?: unknown;
  annotations?: unknown;
  ownerReferences?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reference-counted pool of frozen values under a string key: shared while any stored pod uses them. */
class Pool<T extends object> {
  private readonly byKey = new Map<string, { value: T; refs: number }>();
  private readonly keyOf = new WeakMap<T, string>();

  acquire(key: string, make: () => T): T {
    const entry = this.byKey.get(key);
    if (entry !== undefined) {
      entry.refs++;
      return entry.value;
    }
    const value = Object.freeze(make());
    this.byKey.set(key, { value, refs: 1 });
    this.keyOf.set(value, key);
    return value;
  }

  release(value: T | undefined): void {
    if (value === undefined) return;
    const key = this.keyOf.get(value);
    const entry = key === undefined ? undefined : this.byKey.get(key);
    if (entry === undefined || key === undefined) return;
    if (--entry.refs === 0) this.byKey.delete(key);
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** Interns short strings many pods repeat (namespace, kinds, phases, annotation values); bounded. */
class Strings {
  private readonly map = new Map<string, string>();
  constructor(private readonly max = 20_000) {}
  maybe(s: string | undefined): string | undefined {
    return s === undefined ? undefined : this.get(s);
  }

  get(s: string): string {
    const known = this.map.get(s);
    if (known !== undefined) return known;
    if (this.map.size < this.max) this.map.set(s, s);
    return s;
  }
}

const PHASES = new Map<string, { readonly phase: string }>();
function statusOf(phase: string | undefined): PodView['status'] {
  if (phase === undefined) return undefined;
  let status = PHASES.get(phase);
  if (status === undefined) {
    status = Object.freeze({ phase });
    if (PHASES.size < 16) PHASES.set(phase, status);
  }
  return status;
}

/** Turns API pods into slim PodViews; release() when a slim pod leaves the cache. */
export class PodSlimmer {
  private readonly labels = new Pool<Labels>();
  private readonly owners = new Pool<readonly OwnerRef[]>();
  private readonly strings = new Strings();

  slim(raw: unknown): PodView | undefined {
    const meta = (raw as { metadata?: RawMeta } | undefined)?.metadata;
    const name = str(meta?.name);
    if (meta === undefined || name === undefined) return undefined;
    const owner = this.controllerRef(meta.ownerReferences);
    // The pod's own uid only names a bare pod's Event; an owned pod is reported under its owner's.
    const metadata = defined({
      name,
      namespace: this.strings.get(str(meta.namespace) ?? ''),
      creationTimestamp: str(meta.creationTimestamp),
      uid: owner === undefined ? str(meta.uid) : undefined,
      ownerReferences: owner,
      deletionTimestamp: str(meta.deletionTimestamp),
      labels: this.pooledLabels(meta.labels),
      annotations: this.keptAnnotations(meta.annotations),
    });
    const status = statusOf(this.strings.maybe(str((raw as { status?: { phase?: unknown } }).status?.phase)));
    return status === undefined ? { metadata } : { metadata, status };
  }

  /** The slim pod left the cache: its pooled parts may go. */
  release(pod: PodView | undefined): void {
    this.labels.release(pod?.metadata?.labels);
    this.owners.release(pod?.metadata?.ownerReferences);
  }

  /** Distinct pooled label sets and owner references (for tests and the bench). */
  pooled(): { labels: number; owners: number } {
    return { labels: this.labels.size, owners: this.owners.size };
  }

  private controllerRef(refs: unknown): readonly OwnerRef[] | undefined {
    if (!Array.isArray(refs)) return undefined;
    const ref = (refs as Array<Record<string, unknown>>).find((r) => r?.controller === true);
    const kind = str(ref?.kind);
    const name = str(ref?.name);
    if (ref === undefined || kind === undefined || name === undefined) return undefined;
    const uid = str(ref.uid);
    const apiVersion = str(ref.apiVersion);
    return this.owners.acquire(`${kind}\u0000${name}\u0000${uid ?? ''}\u0000${apiVersion ?? ''}`, () => {
      const kept: { kind: string; name: string; controller: true; uid?: string; apiVersion?: string } = { kind: this.strings.get(kind), name, controller: true };
      if (uid !== undefined) kept.uid = uid;
      if (apiVersion !== undefined) kept.apiVersion = this.strings.get(apiVersion);
      return [Object.freeze(kept)];
    });
  }

  private pooledLabels(labels: unknown): Labels | undefined {
    if (labels === null || typeof labels !== 'object') return undefined;
    const entries = Object.entries(labels as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
    if (entries.length === 0) return undefined;
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return this.labels.acquire(JSON.stringify(entries), () => Object.fromEntries(entries.map(([k, v]) => [this.strings.get(k), v])));
  }

  private keptAnnotations(annotations: unknown): Labels | undefined {
    if (annotations === null || typeof annotations !== 'object') return undefined;
    const all = annotations as Record<string, unknown>;
    let kept: Record<string, string> | undefined;
    for (const key of KEPT_ANNOTATIONS) {
      const value = all[key];
      if (typeof value !== 'string') continue;
      kept ??= {};
      kept[key] = this.strings.get(value);
    }
    return kept;
  }
}

/** Only the properties that have a value: an absent field costs no slot in the cached object. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter((e) => e[1] !== undefined)) as T;
}

const SCALARS = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'labels', 'ownerReferences'] as const;

/** Same fields, same values (pooled parts compare by identity): a relist need not touch the findings. */
export function samePod(a: PodView, b: PodView): boolean {
  const x = a.metadata ?? {};
  const y = b.metadata ?? {};
  return SCALARS.every((k) => x[k] === y[k]) && a.status?.phase === b.status?.phase && sameRecord(x.annotations, y.annotations);
}

function sameRecord(a: Labels | undefined, b: Labels | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
