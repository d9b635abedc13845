// The restarter's state machine on an in-memory API (workloads stored as objects, merge patches applied to
// them, Events recorded): the limits (concurrency, interval, the webhook's readiness), the dry run, following
// a rollout to done or failed, the halt after a failure and its resume, adoption by a new leader, and the
// decisions that settle a finding (never restarted twice for the same pods). The real API server runs the same
// paths in test/e2e/controller.test.ts; here every branch is driven by a clock the test moves.
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { TestClock } from '../support/clock.js';
import { FakeKube, deployment } from './fake-workloads.js';
import type { ControllerConfig } from '../../src/config/controller.js';
import { RESTART } from '../../src/k8s/contract/annotations.js';
import { EVENT } from '../../src/k8s/contract/events.js';
import type { ControllerKube, EventRecord } from '../../src/controller/kube.js';
import { Restarter } from '../../src/controller/restarter.js';
import type { Finding, WorkloadObject, WorkloadRef } from '../../src/controller/types.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');


function finding(name: string, createdMs = [T0 - 3_600_000], pods = ['p0']): Finding {
  return { key: `Deployment/shop/${name}`, owner: { kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'shop', name, restartable: true, podLabels: { app: name } }, reason: 'not-seen', pods, createdMs };
}

const CONFIG: ControllerConfig = Object.freeze({
  mode: 'restart', maxConcurrent: 1, minIntervalSeconds: 30, rolloutTimeoutSeconds: 600, dryRun: false, webhookProbeUrl: undefined,
  namespaceLabel: { key: 'otel-injector.io/inject', value: 'enabled' }, excludeNamespaces: [], leaseName: 'l', leaseDurationSeconds: 15, identityHost: 'me',
  collectorSources: { caConfigMap: undefined, caSecret: undefined, caPem: undefined, clientCertSecret: undefined, headers: [], syncSeconds: 10 },
});

function setup(config: Partial<ControllerConfig> = {}, names = ['a', 'b', 'c']) {
  const kube = new FakeKube();
  for (const n of names) kube.store.set(`Deployment/shop/${n}`, deployment(n));
  const clock = new TestClock({ at: new Date(T0), monotonicMs: 1_000_000 });
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string }); done(); } });
  const probe = { ready: true, detail: 'GET /readyz: 200' };
  const r = new Restarter({ ...CONFIG, ...config }, { kube: kube as unknown as ControllerKube, probe: async () => probe, clock, logger: pino({ level: 'info' }, sink) });
  r.begin();
  const msgs = (): string[] => lines.map((l) => l.msg);
  return { kube, clock, r, probe, msgs };
}

t.test('one at a time, the interval between starts, each rollout followed to done', async (t) => {
  const { kube, clock, r, msgs } = setup();
  const all = ['a', 'b', 'c'].map((n) => finding(n));
  await r.step(all);
  t.equal(kube.patches.length, 0, 'a new term waits a full interval before its first start');
  clock.advanceSeconds(30);
  await r.step(all);
  t.ok(kube.restartedAt('Deployment/shop/a'), 'then the first workload is rolled');
  t.equal(kube.state('Deployment/shop/a'), 'rolling');
  t.equal(r.rollingCount(), 1);
  t.same(kube.events.map((e) => e.reason), [EVENT.restart], 'an Event says so');
  clock.advanceSeconds(60);
  await r.step(all);
  t.notOk(kube.restartedAt('Deployment/shop/b'), 'the next waits while one is rolling (maxConcurrent 1)');
  kube.complete('Deployment/shop/a');
  await r.step(all);
  t.equal(kube.state('Deployment/shop/a'), 'done', 'the completed rollout is recorded');
  t.ok(kube.store.get('Deployment/shop/a')?.metadata?.annotations?.[RESTART.doneAt], 'with its completion time');
  t.ok(kube.restartedAt('Deployment/shop/b'), 'and the next starts in the same step (the interval has passed)');
  kube.complete('Deployment/shop/b');
  await r.step(all);
  t.notOk(kube.restartedAt('Deployment/shop/c'), 'c waits for the interval since b started');
  clock.advanceSeconds(30);
  await r.step(all);
  t.ok(kube.restartedAt('Deployment/shop/c'));
  t.ok(msgs().includes('controller: Deployment/shop/a restarted: rollout complete'), 'the log says each one is done');
  t.same(kube.events.filter((e) => e.reason === EVENT.restarted).map((e) => e.involved.name), ['a', 'b']);
});

t.test('the same pods are never restarted twice; newer pods after completion are a new occurrence', async (t) => {
  const { kube, clock, r, msgs } = setup({ minIntervalSeconds: 0 }, ['a']);
  await r.step([finding('a')]);
  clock.advanceSeconds(10);
  kube.complete('Deployment/shop/a');
  await r.step([]);
  t.equal(kube.state('Deployment/shop/a'), 'done');
  const first = kube.restartedAt('Deployment/shop/a');
  clock.advanceSeconds(5);
  // the restart's new pod came up uninstrumented too (created after the restart began, before it completed)
  const fromRestart = finding('a', [Date.parse(first as string) + 500], ['p1']);
  await r.step([fromRestart]);
  t.equal(kube.restartedAt('Deployment/shop/a'), first, 'not rolled again for the pods of its own restart');
  t.ok(msgs().some((m) => m.includes('already restarted once for this')), 'the log says why');
  const patchesBefore = kube.patches.length;
  await r.step([fromRestart]);
  t.equal(kube.patches.length, patchesBefore, 'a settled finding is not decided again while its pods stay the same');
  clock.advanceSeconds(60);
  await r.step([finding('a', [clock.now().getTime() - 1000], ['p2'])]);
  t.not(kube.restartedAt('Deployment/shop/a'), first, 'a pod created after the completion (the webhook was down again) is a new occurrence');
});

t.test('a failed rollout halts every restart until its state annotation is removed', async (t) => {
  const { kube, clock, r, msgs } = setup({ minIntervalSeconds: 0 }, ['a', 'b']);
  await r.step([finding('a'), finding('b')]);
  kube.stall('Deployment/shop/a');
  await r.step([finding('a'), finding('b')]);
  t.equal(kube.state('Deployment/shop/a'), 'failed', 'the failure is recorded on the workload');
  const failed = kube.events.find((e) => e.reason === EVENT.failed);
  t.match(failed, { type: 'Warning', message: /timed out progressing.*no further restarts until the annotation otel-injector\.io\/restart-state is removed/ }, 'a Warning Event says why and what to do');
  t.notOk(kube.restartedAt('Deployment/shop/b'), 'the next workload is not restarted');
  clock.advanceSeconds(600);
  await r.step([finding('b')]);
  await r.step([finding('b')]);
  t.notOk(kube.restartedAt('Deployment/shop/b'), 'still halted later');
  t.equal(msgs().filter((m) => m.includes('restarts stopped: the rollout of Deployment/shop/a failed')).length, 1, 'the halt is logged once, not every step');
  const a = kube.store.get('Deployment/shop/a') as WorkloadObject;
  kube.store.set('Deployment/shop/a', { ...a, metadata: { ...a.metadata, annotations: {} } });
  await r.step([finding('b')]);
  t.ok(kube.restartedAt('Deployment/shop/b'), 'with the annotation removed, restarts resume');
  t.ok(msgs().some((m) => m.includes('restarts resume')));
});

t.test('a rollout not complete within rolloutTimeoutSeconds counts as failed', async (t) => {
  const { kube, clock, r } = setup({ minIntervalSeconds: 0, rolloutTimeoutSeconds: 120 }, ['a']);
  await r.step([finding('a')]);
  clock.advanceSeconds(119);
  await r.step([]);
  t.equal(kube.state('Deployment/shop/a'), 'rolling', 'still rolling just before the timeout');
  clock.advanceSeconds(2);
  await r.step([]);
  t.equal(kube.state('Deployment/shop/a'), 'failed');
  t.match(kube.events.find((e) => e.reason === EVENT.failed)?.message, /not complete after 120 s/);
});

t.test('nothing starts while the webhook is not ready; a dry run patches nothing', async (t) => {
  const { kube, r, probe, msgs } = setup({ minIntervalSeconds: 0 }, ['a']);
  probe.ready = false;
  probe.detail = 'GET /readyz: connection refused';
  await r.step([finding('a')]);
  await r.step([finding('a')]);
  t.equal(kube.patches.length, 0, 'no restart while the probe fails');
  t.equal(msgs().filter((m) => m === 'controller: restarts wait: the webhook is not ready (GET /readyz: connection refused)').length, 1, 'said once');
  probe.ready = true;
  await r.step([finding('a')]);
  t.ok(kube.restartedAt('Deployment/shop/a'), 'restarted once the webhook answers');

  const dry = setup({ minIntervalSeconds: 0, dryRun: true }, ['a']);
  await dry.r.step([finding('a')]);
  await dry.r.step([finding('a')]);
  t.equal(dry.kube.patches.length, 0, 'dry run: nothing patched');
  t.equal(dry.msgs().filter((m) => m === 'controller: Deployment/shop/a: dry run: would restart it (not-seen: 1 pod(s))').length, 1, 'what it would do, logged once');
});

t.test('workloads that must not be rolled are settled with the reason; API trouble is retried', async (t) => {
  const { kube, r, msgs } = setup({ minIntervalSeconds: 0, maxConcurrent: 5 }, []);
  kube.store.set('Deployment/shop/optout', deployment('optout', { template: { 'otel-injector.io/inject': 'false' } }));
  kube.store.set('Deployment/shop/paused', deployment('paused', { paused: true }));
  await r.step([finding('optout'), finding('paused'), finding('gone')]);
  t.equal(kube.patches.length, 0, 'none of them patched');
  t.ok(msgs().some((m) => m.includes('optout: not restarted: its pod template opts out')));
  t.ok(msgs().some((m) => m.includes('paused: not restarted: it is paused')));
  t.ok(msgs().some((m) => m.includes('gone: no such Deployment; its pods are reported only')));

  kube.store.set('Deployment/shop/a', deployment('a'));
  await r.step([finding('a')]);
  t.equal(kube.state('Deployment/shop/a'), 'rolling');
  kube.failGet = true;
  await r.step([]);
  t.equal(r.rollingCount(), 1, 'an API error while following keeps the rollout followed');
  kube.failGet = false;
  kube.complete('Deployment/shop/a');
  await r.step([]);
  t.equal(kube.state('Deployment/shop/a'), 'done');
});

t.test('a new leader adopts a rollout the previous one started, and never starts it again', async (t) => {
  const first = setup({ minIntervalSeconds: 0 }, ['a']);
  await first.r.step([finding('a')]);
  const started = first.kube.restartedAt('Deployment/shop/a');
  // leadership moves: a new Restarter on the same cluster state
  const next = new Restarter({ ...CONFIG, minIntervalSeconds: 0 }, { kube: first.kube as unknown as ControllerKube, probe: async () => ({ ready: true, detail: '' }), clock: first.clock, logger: pino({ level: 'silent' }) });
  next.begin();
  await next.adopt([finding('a').owner]);
  t.equal(next.rollingCount(), 1, 'the rollout under way counts against the limit');
  await next.step([finding('a')]);
  t.equal(first.kube.restartedAt('Deployment/shop/a'), started, 'not restarted a second time');
  first.kube.complete('Deployment/shop/a');
  await next.step([]);
  t.equal(first.kube.state('Deployment/shop/a'), 'done', 'the new leader records its end');
});
