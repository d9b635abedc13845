// Per-review CPU cost of beginReview().end(), printed in ns/op: the noop baseline, metrics only (no endpoint),
// and metrics + span exported to a live receiver. After each chunk the test waits until the receiver has
// every span, so the batch processor's queue never fills (dropped spans would flatter the number).
import t from 'tap';
import { pino } from 'pino';
import { createTelemetry } from '../../src/telemetry/index.js';
import { noopTelemetry, type ReviewOutcome, type Telemetry } from '../../src/telemetry/types.js';
import { spans, startReceiver } from './otlp-receiver.js';

const CHUNK = 512; // the batch processor's batch size: each chunk's last span triggers an export
const CHUNKS = 10;
const OUTCOME: ReviewOutcome = { decision: 'injected', reason: 'all selected containers', namespace: 'bakery-ia', ops: 7 };

/** CPU time (user + system) of the synchronous loops, not wall time: the number stays meaningful on a busy machine. */
async function nsPerOp(telemetry: Telemetry, drain: () => Promise<void> = pause): Promise<number> {
  let busyUs = 0;
  for (let chunk = 0; chunk < CHUNKS; chunk += 1) {
    const start = process.cpuUsage();
    for (let i = 0; i < CHUNK; i += 1) telemetry.beginReview().end(OUTCOME);
    const used = process.cpuUsage(start);
    busyUs += used.user + used.system;
    await drain();
  }
  return (busyUs * 1000) / (CHUNK * CHUNKS);
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2));
}

async function median(telemetry: Telemetry, drain?: () => Promise<void>, runs = 5): Promise<number> {
  const results: number[] = [];
  for (let run = 0; run < runs; run += 1) results.push(await nsPerOp(telemetry, drain));
  return results.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? Number.NaN;
}

void t.test('per-review overhead, ns/op', async (t) => {
  const receiver = await startReceiver('ok');
  t.teardown(() => receiver.close());
  const deps = { logger: pino({ level: 'silent' }), version: '0.1.0', certExpiry: () => undefined };
  const metricsOnly = createTelemetry({ otlpEndpoint: undefined, exportIntervalMs: 15_000 }, deps);
  const exporting = createTelemetry({ otlpEndpoint: receiver.url, exportIntervalMs: 1_000 }, { ...deps, shutdownTimeoutMs: 10_000 });
  t.teardown(() => metricsOnly.shutdown());

  let ended = 0;
  const drained = async (): Promise<void> => {
    ended += CHUNK;
    await receiver.waitFor((received) => spans(received).length === ended, 10_000);
  };
  await nsPerOp(metricsOnly); // warm-up (JIT) for both paths
  await nsPerOp(exporting, drained);
  const baseline = await median(noopTelemetry);
  const off = await median(metricsOnly);
  const on = await median(exporting, drained);
  await exporting.shutdown();
  t.comment(`noop ${baseline.toFixed(0)} ns/op; no endpoint (metrics only) ${off.toFixed(0)} ns/op; endpoint set (metrics + span exported) ${on.toFixed(0)} ns/op`);

  t.ok(off < 20_000, `no endpoint stays cheap: ${off.toFixed(0)} ns/op`);
  t.ok(off < on, 'without an endpoint no tracing work is done, so it is cheaper than with one');
  t.equal(spans(receiver.received).length, ended, 'every span of the exporting runs reached the receiver');
});
