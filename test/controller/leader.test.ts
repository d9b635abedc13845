// The election algorithm against an in-memory Lease store that enforces resourceVersion like the API
// server (the real API server is in test/e2e/controller.test.ts).
import t from 'tap';
import { TestClock } from '../support/clock.js';
import { pino } from 'pino';
import { LeaderElector } from '../../src/controller/leader.js';
import type { LeaseApi, LeaseRecord } from '../../src/controller/ports.js';

class Store implements LeaseApi {
  record: LeaseRecord | undefined;
  private version = 0;
  fail = false;
  private conflict(): Error {
    return Object.assign(new Error('conflict'), { status: 409 });
  }
  async get(): Promise<LeaseRecord | undefined> {
    if (this.fail) throw new Error('connection refused');
    return this.record;
  }
  async create(_ns: string, _name: string, r: Omit<LeaseRecord, 'resourceVersion'>): Promise<LeaseRecord> {
    if (this.record !== undefined) throw this.conflict();
    this.record = { ...r, resourceVersion: String(++this.version) };
    return this.record;
  }
  async replace(_ns: string, _name: string, rv: string, r: Omit<LeaseRecord, 'resourceVersion'>): Promise<LeaseRecord> {
    if (this.fail) throw new Error('connection refused');
    if (this.record?.resourceVersion !== rv) throw this.conflict();
    this.record = { ...r, resourceVersion: String(++this.version) };
    return this.record;
  }
}

const clock = (): TestClock => new TestClock({ at: new Date(1_000_000), monotonicMs: 1_000_000 });

const silent = pino({ level: 'silent' });
const options = (identity: string): { namespace: string; name: string; identity: string; durationSeconds: number } => ({ namespace: 'otel-injector', name: 'ctl', identity, durationSeconds: 15 });

t.test('one leader; the other takes over only after a whole lease duration without renewal', async (t) => {
  const store = new Store();
  const c = clock();
  const a = new LeaderElector(store, options('a'), c, silent);
  const b = new LeaderElector(store, options('b'), c, silent);
  const changes: string[] = [];
  a.onChange((l) => changes.push(`a:${l}`));
  b.onChange((l) => changes.push(`b:${l}`));
  await a.tick();
  await b.tick();
  t.ok(a.isLeader() && !b.isLeader(), 'the first to write the Lease leads');
  t.equal(a.periodMs, 5000, 'renews every third of the duration');
  for (let i = 0; i < 6; i++) {
    c.advanceMs(5000);
    await a.tick();
    await b.tick();
  }
  t.ok(a.isLeader() && !b.isLeader(), 'a renewing leader keeps the lease');
  // a dies (no more ticks) right after its last renewal, which b has seen: b must see that same record
  // for 15 s of its own clock
  c.advanceMs(5000);
  await b.tick();
  c.advanceMs(9000);
  await b.tick();
  t.notOk(b.isLeader(), 'not before the whole duration has passed on b\'s clock (14 s)');
  c.advanceMs(1000);
  await b.tick();
  t.ok(b.isLeader(), 'then b takes over');
  t.equal(store.record?.transitions, 1, 'one leader transition recorded');
  t.same(changes, ['a:true', 'b:true']);
});

t.test('a leader that cannot renew steps down before its lease can lapse; release hands over at once', async (t) => {
  const store = new Store();
  const c = clock();
  const a = new LeaderElector(store, options('a'), c, silent);
  await a.tick();
  t.ok(a.isLeader());
  store.fail = true;
  c.advanceMs(5000);
  await a.tick();
  t.ok(a.isLeader(), 'one failed renewal is tolerated');
  c.advanceMs(6000);
  await a.tick();
  t.notOk(a.isLeader(), 'after two thirds of the duration without a renewal it stops acting');
  store.fail = false;
  await a.tick();
  t.ok(a.isLeader(), 'its own record: it renews and leads again');
  const b = new LeaderElector(store, options('b'), c, silent);
  await a.release();
  t.equal(store.record?.holder, '', 'released: the holder is cleared');
  await b.tick();
  t.ok(b.isLeader(), 'the other replica takes the released lease at its next round, without waiting');
});

t.test('two replicas racing for an empty lease: exactly one wins', async (t) => {
  const store = new Store();
  const c = clock();
  const electors = ['a', 'b', 'c'].map((id) => new LeaderElector(store, options(id), c, silent));
  await Promise.all(electors.map((e) => e.tick()));
  t.equal(electors.filter((e) => e.isLeader()).length, 1);
});
