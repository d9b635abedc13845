// The reflector against an in-memory collection that keeps the API server's rules (as leader.test.ts does
// for the Lease): one resourceVersion sequence, list pages with `limit`/`continue` from a snapshot, a
// watch that replays what happened after its resourceVersion, bookmarks, and compaction: a watch from a
// compacted resourceVersion gets a 410 Gone ERROR event, an expired continue token a 410 response. The
// real API server is in test/e2e/controller.test.ts and bench/controller.ts.
import t from 'tap';
import { pino } from 'pino';
import { setImmediate as tick } from 'node:timers/promises';
import { Reflector, Limiter } from '../../src/controller/reflector.js';
import type { ListPage, ListWatchSource, WatchEvent, WatchHandle } from '../../src/controller/ports.js';

type Obj = { metadata: { name: string; resourceVersion: string }; value: number };
const gone = (message: string): Error => Object.assign(new Error(message), { status: 410 });

class Collection implements ListWatchSource {
  rv = 0;
  readonly objects = new Map<string, Obj>();
  private history: Array<{ type: WatchEvent['type']; object: Obj }> = [];
  private compacted = 0;
  private readonly snapshots = new Map<string, { rv: number; items: Obj[] }>();
  private readonly open = new Set<{ send: (e: WatchEvent) => void; close: () => void }>();
  readonly calls: string[] = [];
  failLists = 0;
  expireNextContinue = false;

  put(name: string, value: number): void {
    const object = { metadata: { name, resourceVersion: String(++this.rv) }, value };
    const type = this.objects.has(name) ? 'MODIFIED' : 'ADDED';
    this.objects.set(name, object);
    this.emit(type, object);
  }

  del(name: string): void {
    const old = this.objects.get(name);
    if (old === undefined) return;
    this.objects.delete(name);
    this.emit('DELETED', { ...old, metadata: { name, resourceVersion: String(++this.rv) } });
  }

  /** Something elsewhere in the cluster moved the resourceVersion on. */
  elsewhere(n: number): void {
    this.rv += n;
  }

  compact(): void {
    this.compacted = this.rv;
    this.history = [];
  }

  bookmark(): void {
    for (const w of this.open) w.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.rv) } } });
  }

  /** The server's watch timeout: every open watch ends. */
  closeWatches(): void {
    for (const w of [...this.open]) w.close();
  }

  get watching(): number {
    return this.open.size;
  }

  private emit(type: WatchEvent['type'], object: Obj): void {
    this.history.push({ type, object });
    for (const w of this.open) w.send({ type, object });
  }

  async list(o: { limit: number; continue?: string }): Promise<ListPage> {
    this.calls.push(`list limit=${o.limit}${o.continue === undefined ? '' : ' continue'}`);
    if (this.failLists > 0) {
      this.failLists--;
      throw Object.assign(new Error('etcdserver: request timed out'), { status: 500 });
    }
    let snap = o.continue === undefined ? undefined : this.snapshots.get(o.continue);
    if (o.continue !== undefined && (snap === undefined || this.expireNextContinue)) {
      this.expireNextContinue = false;
      throw gone('The provided continue parameter is too old');
    }
    snap ??= { rv: this.rv, items: [...this.objects.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)) };
    const items = snap.items.slice(0, o.limit);
    const rest = { rv: snap.rv, items: snap.items.slice(o.limit) };
    const token = rest.items.length > 0 ? `c${this.snapshots.size}` : undefined;
    if (token !== undefined) this.snapshots.set(token, rest);
    return { items, resourceVersion: String(snap.rv), continue: token };
  }

  watch(resourceVersion: string, _timeoutSeconds: number, onEvent: (e: WatchEvent) => void): WatchHandle {
    this.calls.push(`watch rv=${resourceVersion}`);
    let close: () => void = () => undefined;
    const done = new Promise<void>((resolve) => { close = resolve; });
    const from = Number(resourceVersion);
    if (from < this.compacted) {
      queueMicrotask(() => {
        onEvent({ type: 'ERROR', object: { code: 410, message: `too old resource version: ${from} (${this.compacted})` } });
        close();
      });
      return { done, abort: close };
    }
    const w = { send: onEvent, close: () => { this.open.delete(w); close(); } };
    for (const e of this.history) if (Number(e.object.metadata.resourceVersion) > from) onEvent(e);
    this.open.add(w);
    return { done, abort: w.close };
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (check()) return;
    await tick();
  }
  throw new Error(`never: ${what}`);
}

function reflect(source: Collection, pageSize = 500): { r: Reflector<Obj>; changes: Array<[string, number | undefined, number | undefined]> } {
  const changes: Array<[string, number | undefined, number | undefined]> = [];
  const r = new Reflector<Obj>({
    what: 'test', source, pageSize, logger: pino({ level: 'silent' }), limiter: new Limiter(1),
    transform: (raw) => raw as Obj,
    same: (a, b) => a.value === b.value,
    onChange: (old, next) => changes.push([(old ?? next)?.metadata.name ?? '', old?.value, next?.value]),
    sleep: async () => undefined,
    random: () => 0.5,
  });
  return { r, changes };
}

t.test('the list pages through the collection; the watch resumes from its resourceVersion without listing again', async (t) => {
  const c = new Collection();
  for (let i = 0; i < 1203; i++) c.put(`pod-${String(i).padStart(4, '0')}`, 1);
  const { r, changes } = reflect(c);
  await r.start();
  t.equal(r.size, 1203, 'every pod cached');
  t.same(c.calls.slice(0, 3), ['list limit=500', 'list limit=500 continue', 'list limit=500 continue'], 'three pages of at most 500');
  t.equal(changes.length, 1203, 'each pod added once');
  await until('watching', () => c.watching === 1);
  c.put('pod-0001', 2);
  c.del('pod-0002');
  await until('two events applied', () => changes.length === 1205);
  t.same(changes.slice(-2), [['pod-0001', 1, 2], ['pod-0002', 1, undefined]]);

  c.closeWatches(); // the server's timeout
  c.put('pod-0003', 2); // while no watch is open
  await until('watching again', () => c.watching === 1);
  await until('the missed event', () => changes.length === 1206);
  t.same(changes.at(-1), ['pod-0003', 1, 2], 'the event between the two watches is replayed');
  t.equal(r.stats.lists, 1, 'no second list');
  t.match(c.calls.filter((x) => x.startsWith('watch')), [/^watch rv=1203$/, /^watch rv=1205$/]);
  await r.stop();
});

t.test('bookmarks keep a quiet watch current: compaction elsewhere does not expire it', async (t) => {
  const c = new Collection();
  c.put('a', 1);
  const { r } = reflect(c);
  await r.start();
  await until('watching', () => c.watching === 1);
  c.elsewhere(5000);
  c.bookmark();
  c.compact();
  c.closeWatches();
  await until('watching again', () => c.watching === 1);
  t.equal(c.calls.at(-1), 'watch rv=5001', 'resumed from the bookmark');
  t.same([r.stats.lists, r.stats.expired], [1, 0], 'no 410, no list');
  await r.stop();
});

t.test('a watch that expired (410 Gone) lists again, paged, and passes on only what changed', async (t) => {
  const c = new Collection();
  for (let i = 0; i < 1000; i++) c.put(`pod-${i}`, 1);
  const { r, changes } = reflect(c, 300);
  await r.start();
  await until('watching', () => c.watching === 1);
  changes.length = 0;
  c.closeWatches();
  c.put('pod-7', 2);
  c.del('pod-8');
  c.put('pod-new', 1);
  c.compact(); // the events above are gone from the history
  await until('relisted and watching', () => r.stats.expired === 1 && c.watching === 1);
  t.equal(r.stats.lists, 2, 'one more list');
  t.same(c.calls.filter((x) => x.startsWith('list')).length, 4 + 4, 'paged both times (4 pages of 300)');
  t.same(changes.sort(), [['pod-7', 1, 2], ['pod-8', 1, undefined], ['pod-new', undefined, 1]], 'the 997 unchanged pods cause no change downstream');
  t.equal(r.size, 1000);
  await r.stop();
});

t.test('an expired continue token starts the list over; failed lists are retried', async (t) => {
  const c = new Collection();
  for (let i = 0; i < 25; i++) c.put(`pod-${i}`, 1);
  c.failLists = 2;
  c.expireNextContinue = true;
  const { r, changes } = reflect(c, 10);
  await r.start();
  t.equal(r.stats.failures, 2, 'two failed lists, retried');
  t.equal(r.stats.expired, 1, 'one expired continue token');
  t.equal(r.size, 25);
  t.equal(changes.filter(([, old]) => old !== undefined).length, 0, 'no pod deleted or changed by starting over');
  t.equal(changes.length, 25);
  await r.stop(true);
  t.equal(changes.length, 50, 'stop(forget): every pod leaves through onChange');
});
