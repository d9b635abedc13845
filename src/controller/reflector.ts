// A list-and-watch cache of one collection, built for large ones (client-go's reflector, not client-node's
// informer, which lists everything in one response and keeps whole objects):
// - the list pages through the API (`limit`/`continue`), each page transformed (slimmed) and dropped
//   before the next is asked for; a shared limiter keeps many namespaces from listing at once;
// - the watch asks for bookmarks, so its resourceVersion stays current even in a quiet namespace, and the
//   server closes it after a few minutes: it resumes from that resourceVersion, no list;
// - a watch that has expired (410 Gone) relists, paged, and the relist is diffed against the cache: only
//   pods that really changed reach onChange, the rest is left as it is (no burst of work downstream);
// - failures back off (1 s doubling to 30 s, jittered) and retry forever, as client-go does.
import type { Logger } from 'pino';
import type { ListWatchSource, WatchEvent } from './ports.js';

/**
 * Pods per list page. Smaller than client-go's 500 on purpose: a page is parsed whole before it is slimmed,
 * and V8 keeps the memory a burst of pages needed; pages of 100 kept the resident memory after listing
 * 50,000 pods at about half of what pages of 500 did (docs/benchmarks.md), for 500 list requests instead of 100.
 */
export const PAGE_SIZE = 100;
const WATCH_SECONDS = [300, 600] as const;
const MAX_BACKOFF_MS = 30_000;

/** At most `max` lists at once, across every reflector that shares it. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export interface ReflectorOptions<T> {
  readonly what: string;
  readonly source: ListWatchSource;
  /** The transform: what is kept of an object (undefined: not kept). */
  readonly transform: (raw: unknown) => T | undefined;
  /** Same content: a relist or a no-op update does not call onChange. */
  readonly same: (a: T, b: T) => boolean;
  /** An item left the cache (or a transformed copy was not kept). */
  readonly release?: (item: T) => void;
  /** Every change: (undefined, new) added, (old, new) updated, (old, undefined) deleted. */
  readonly onChange: (old: T | undefined, next: T | undefined) => void;
  readonly logger: Logger;
  readonly limiter?: Limiter;
  readonly pageSize?: number;
  /** Waits between retries (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Counts of what the reflector asked the API for. */
export interface ReflectorStats {
  lists: number;
  pages: number;
  watches: number;
  expired: number;
  failures: number;
}

const statusOf = (err: unknown): number | undefined => (err as { status?: number } | undefined)?.status;
const nameOf = (raw: unknown): string | undefined => {
  const name = (raw as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  return typeof name === 'string' ? name : undefined;
};

class Expired extends Error {
  readonly status = 410;
}

function watchError(status: WatchEvent['object']): Error {
  const message = status.message ?? 'watch error';
  return status.code === 410 ? new Expired(message) : Object.assign(new Error(message), { status: status.code });
}

export class Reflector<T> {
  private readonly items = new Map<string, T>();
  private resourceVersion = '';
  private stopped = false;
  private watch: { abort(): void } | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private syncedFlag = false;
  private readonly synced: Promise<void>;
  private markSynced: () => void = () => undefined;
  readonly stats: ReflectorStats = { lists: 0, pages: 0, watches: 0, expired: 0, failures: 0 };

  constructor(private readonly o: ReflectorOptions<T>) {
    this.synced = new Promise((resolve) => { this.markSynced = resolve; });
  }

  /** Starts listing and watching; resolves once the first list is complete (retrying until it is). */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.synced;
  }

  /** Stops the watch; with `forget`, every item leaves the cache through onChange(old, undefined). */
  async stop(forget = false): Promise<void> {
    this.stopped = true;
    this.watch?.abort();
    this.wake?.();
    await this.loop;
    if (forget) for (const key of [...this.items.keys()]) this.remove(key);
  }

  isSynced(): boolean {
    return this.syncedFlag;
  }

  list(): IterableIterator<T> {
    return this.items.values();
  }

  get size(): number {
    return this.items.size;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === '') await this.relist();
        if (this.stopped) return;
        await this.watchOnce();
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        if (statusOf(err) === 410) {
          this.stats.expired++;
          this.resourceVersion = '';
          this.o.logger.info({ watch: this.o.what }, 'watch expired (410 Gone): listing again, paged, changes only');
          continue;
        }
        failures++;
        this.stats.failures++;
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1)) * (0.5 + (this.o.random ?? Math.random)() / 2);
        this.o.logger.warn({ watch: this.o.what, err: err instanceof Error ? err.message : String(err), retryMs: Math.round(delay) }, 'watch failed: retrying');
        await this.pause(delay);
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    if (this.o.sleep !== undefined) return this.o.sleep(ms);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
    this.wake = undefined;
  }

  private async relist(): Promise<void> {
    const work = (): Promise<void> => this.listPages();
    await (this.o.limiter === undefined ? work() : this.o.limiter.run(work));
  }

  /** Every page in turn; an expired continue token starts the list over. Items not listed are deleted. */
  private async listPages(): Promise<void> {
    this.stats.lists++;
    const seen = new Set<string>();
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      if (this.stopped) return;
      const page = await this.o.source.list({ limit: this.o.pageSize ?? PAGE_SIZE, continue: cont });
      this.stats.pages++;
      this.upsertAll(page.items, seen);
      resourceVersion = page.resourceVersion;
      cont = page.continue === '' ? undefined : page.continue;
    } while (cont !== undefined);
    for (const key of [...this.items.keys()]) if (!seen.has(key)) this.remove(key);
    this.resourceVersion = resourceVersion;
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.markSynced();
    }
  }

  private upsertAll(items: readonly unknown[], seen: Set<string>): void {
    for (const raw of items) {
      const key = nameOf(raw);
      if (key === undefined) continue;
      seen.add(key);
      this.upsert(key, raw);
    }
  }

  /** One watch from the current resourceVersion, until the server closes it (or it expires: Expired). */
  private async watchOnce(): Promise<void> {
    this.stats.watches++;
    const [min, max] = WATCH_SECONDS;
    const seconds = Math.round(min + (max - min) * (this.o.random ?? Math.random)());
    let failure: Error | undefined;
    let events = 0;
    const startedMs = Date.now();
    const handle = this.o.source.watch(this.resourceVersion, seconds, (event) => {
      events++;
      if (failure !== undefined) return;
      failure = this.apply(event);
      if (failure !== undefined) handle.abort();
    });
    this.watch = handle;
    try {
      await handle.done;
    } catch (err) {
      if (failure === undefined) throw err;
    } finally {
      this.watch = undefined;
    }
    if (failure !== undefined) throw failure;
    // A server that closes every watch at once must not turn this into a busy loop.
    if (events === 0 && Date.now() - startedMs < 1000 && !this.stopped) throw new Error('the watch was closed at once');
  }

  /** Applies one event; an ERROR event becomes the error that ends the watch. */
  private apply(event: WatchEvent): Error | undefined {
    const { type, object } = event;
    if (type === 'ERROR') return watchError(object);
    const key = type === 'BOOKMARK' ? undefined : nameOf(object);
    if (key !== undefined) {
      if (type === 'DELETED') this.remove(key);
      else this.upsert(key, object);
    }
    const rv = object.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') this.resourceVersion = rv;
    return undefined;
  }

  private upsert(key: string, raw: unknown): void {
    const next = this.o.transform(raw);
    const old = this.items.get(key);
    if (next === undefined) {
      if (old !== undefined) this.remove(key);
      return;
    }
    if (old !== undefined && this.o.same(old, next)) {
      this.o.release?.(next);
      return;
    }
    this.items.set(key, next);
    this.o.onChange(old, next);
    if (old !== undefined) this.o.release?.(old);
  }

  private remove(key: string): void {
    const old = this.items.get(key);
    if (old === undefined) return;
    this.items.delete(key);
    this.o.onChange(old, undefined);
    this.o.release?.(old);
  }
}
