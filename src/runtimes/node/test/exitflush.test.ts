// The parts of the exit flush that can be judged in-process, on the real SDK objects: the synchronous
// metric collection gives what the SDK's own (asynchronous) collection gives; the shutdown bound is
// shared by the flushes of one ending; an export in flight is sent again only if its body never left.
import t from 'tap';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { collectMetricsSync } from '../payload/metricsync.js';
import { ShutdownBound } from '../payload/exitflush.js';
import { undelivered, type Attempt, type Outbound } from '../payload/exporttrack.js';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Summary { name: string; points: { attributes: unknown; value: unknown }[] }

function summary(rm: ResourceMetrics | undefined): Summary[] {
  return (rm?.scopeMetrics ?? []).flatMap((s) => s.metrics).map((m) => ({
    name: m.descriptor.name,
    points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
  })).sort((a, b) => a.name.localeCompare(b.name));
}

function setup(): { provider: MeterProvider; reader: PullReader } {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('app');
  const hist = meter.createHistogram('req.duration');
  const counter = meter.createCounter('jobs');
  for (let i = 0; i < 5; i++) hist.record(i * 10, { route: '/a' });
  counter.add(3, { kind: 'x' });
  meter.createObservableGauge('mem').addCallback((r) => r.observe(42, { pool: 'heap' }));
  const cpu = meter.createObservableGauge('cpu');
  const net = meter.createObservableCounter('net');
  // like host-metrics: observes some instruments, then awaits before the others
  meter.addBatchObservableCallback(async (r) => {
    r.observe(cpu, 0.5);
    await new Promise((res) => setTimeout(res, 5));
    r.observe(net, 7);
  }, [cpu, net]);
  return { provider, reader };
}

t.test('collectMetricsSync gives, without waiting, what the SDK collection gives', async (t) => {
  const a = setup();
  const b = setup();
  const now = collectMetricsSync(a.reader);
  const sdk = (await b.reader.collect()).resourceMetrics;
  const got = summary(now);
  const want = summary(sdk).filter((m) => m.name !== 'net');
  t.same(got.map((m) => m.name), ['cpu', 'jobs', 'mem', 'req.duration'], 'sync instruments, callbacks, and what an async callback observed before its await');
  t.same(got, want, 'the same points as the SDK collection');
  t.ok(summary(sdk).some((m) => m.name === 'net'), '(the SDK, waiting, also has what came after the await)');
  t.equal(now?.resource.attributes['service.name'], sdk.resource.attributes['service.name'], "the provider's resource");
  await a.provider.shutdown();
  await b.provider.shutdown();
});

t.test('collectMetricsSync: nothing recorded → undefined; a foreign reader → undefined, no throw', async (t) => {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  provider.getMeter('idle').createHistogram('unused');
  t.equal(collectMetricsSync(reader), undefined);
  t.equal(collectMetricsSync({} as unknown as MetricReader), undefined);
  await provider.shutdown();
});

t.test('ShutdownBound: one bound per ending, shared by the flushes that follow', async (t) => {
  let now = 1000;
  const bound = new ShutdownBound(1000, () => now);
  t.equal(bound.remaining(), 1000, 'not started: the whole bound');
  t.equal(bound.begin(), 1000);
  now += 400;
  t.equal(bound.begin(), 600, 'a second flush gets what is left');
  now += 700;
  t.equal(bound.remaining(), 0, 'never negative');
});

t.test('undelivered: only exports whose body never left the process are sent again', async (t) => {
  const data = (n: number): Uint8Array => new Uint8Array([n]);
  const attempts: Attempt[] = [
    { data: data(1), req: undefined, delivered: false }, // not yet sent / between retries
    { data: data(2), req: { writableFinished: false, once: () => undefined }, delivered: false }, // bytes still in Node's buffers
    { data: data(3), req: { writableFinished: true, once: () => undefined }, delivered: false }, // the kernel has it
    { data: data(4), req: undefined, delivered: true }, // answered 2xx
  ];
  const out: Outbound = { url: 'http://127.0.0.1:1/v1/traces', gzip: false, headers: {}, tls: undefined, inflight: new Set(attempts) };
  t.same(undelivered(out).map((d) => d[0]), [1, 2]);
});
