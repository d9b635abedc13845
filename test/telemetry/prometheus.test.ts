import t, { type Test } from 'tap';
import { TestClock } from '../support/clock.js';
import { pino } from 'pino';
import { createTelemetry } from '../../src/telemetry/index.js';
import { DURATION_BUCKETS } from '../../src/telemetry/review.js';
import type { ReviewOutcome } from '../../src/telemetry/types.js';
import { parsePrometheus, type PromFamily } from './otlp-receiver.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2026-11-25T09:00:00Z');

function telemetryWithClock(stepMs: number, certExpiry: () => Date | undefined = () => undefined): ReturnType<typeof createTelemetry> {
  const clock = new TestClock({ at: NOW, stepMs });
  return createTelemetry({ otlpEndpoint: undefined, exportIntervalMs: 15_000 }, { logger: silent, version: '1.2.3', certExpiry, clock });
}

function sampleValue(family: PromFamily | undefined, labels: Record<string, string>): number | undefined {
  return family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}


function checkRequests(t: Test, families: Map<string, PromFamily>): void {
  const requests = families.get('otel_injector_admission_requests_total');
  t.equal(requests?.type, 'counter');
  t.ok(requests?.help, 'HELP line present');
  t.equal(sampleValue(requests, { decision: 'injected', reason: 'injected', request_namespace: 'a' }), 4);
  t.equal(sampleValue(requests, { decision: 'skipped', reason: 'opt-out', request_namespace: 'a' }), 1);
  t.equal(sampleValue(requests, { decision: 'not_pod', reason: 'not-a-pod', request_namespace: 'b' }), 1);
  t.equal(requests?.samples.length, 3);

}

function checkHistogram(t: Test, families: Map<string, PromFamily>): void {
  const duration = families.get('otel_injector_admission_duration');
  t.equal(duration?.type, 'histogram');
  const injected = duration?.samples.filter((s) => s.labels.decision === 'injected') ?? [];
  const buckets = injected.filter((s) => s.name.endsWith('_bucket'));
  t.same(buckets.map((s) => s.labels.le), [...DURATION_BUCKETS.map(String), '+Inf'], 'every bound, then +Inf');
  t.same(buckets.map((s) => s.value), [0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 'cumulative: 0.3 ms lands in le=0.0005');
  t.equal(injected.find((s) => s.name.endsWith('_count'))?.value, 4);
  t.ok(Math.abs((injected.find((s) => s.name.endsWith('_sum'))?.value ?? 0) - 0.0012) < 1e-12, '_sum in seconds');

}

void t.test('GET /metrics text parses; counters, histogram and gauge match the reviews recorded', async (t) => {
  const telemetry = telemetryWithClock(0.3, () => new Date(NOW.getTime() + 90_000));
  t.teardown(() => telemetry.shutdown());
  const outcomes: ReviewOutcome[] = [
    ...Array.from({ length: 4 }, (): ReviewOutcome => ({ decision: 'injected', reason: 'injected', namespace: 'a', ops: 5 })),
    { decision: 'skipped', reason: 'opt-out', namespace: 'a', ops: 0 },
    { decision: 'not_pod', reason: 'not-a-pod', namespace: 'b', ops: 0 },
  ];
  for (const outcome of outcomes) telemetry.beginReview().end(outcome);
  const families = parsePrometheus(await telemetry.prometheusText());

  checkRequests(t, families);
  checkHistogram(t, families);
  const expiry = families.get('otel_injector_certificate_expiry');
  t.equal(expiry?.type, 'gauge');
  t.equal(expiry?.samples[0]?.value, 90);

  t.equal(families.get('process_cpu_time_total')?.type, 'counter');
  t.equal(families.get('process_memory_usage')?.type, 'gauge', 'up-down counters are gauges');
  t.match(sampleValue(families.get('target_info'), {}), 1);
  t.equal(families.get('target_info')?.samples[0]?.labels.service_version, '1.2.3');
});

void t.test('label values are escaped: quotes, backslashes and newlines survive a parse', async (t) => {
  const telemetry = telemetryWithClock(1);
  t.teardown(() => telemetry.shutdown());
  const reason = 'bad "value" \\ with\nnewline';
  telemetry.beginReview().end({ decision: 'error', reason, namespace: 'x', ops: 0 });
  const text = await telemetry.prometheusText();
  t.equal(text.split('\n').filter((l) => l.includes('newline')).length, 1, 'one line per sample');
  const requests = parsePrometheus(text).get('otel_injector_admission_requests_total');
  t.equal(requests?.samples[0]?.labels.reason, reason);
});

void t.test('no certificate yet: the gauge has no sample; every family has HELP and TYPE', async (t) => {
  const telemetry = telemetryWithClock(1);
  t.teardown(() => telemetry.shutdown());
  const families = parsePrometheus(await telemetry.prometheusText());
  t.equal(families.get('otel_injector_certificate_expiry')?.samples.length ?? 0, 0);
  for (const [name, family] of families) {
    t.ok(family.type !== undefined && family.help !== undefined, `${name} has HELP and TYPE`);
  }
});

void t.test('after shutdown /metrics rejects (the route answers 500) instead of serving stale data', async (t) => {
  const telemetry = telemetryWithClock(1);
  await telemetry.shutdown();
  await t.rejects(telemetry.prometheusText());
  t.doesNotThrow(() => telemetry.beginReview().end({ decision: 'injected', reason: 'injected', namespace: 'a', ops: 1 }));
});

void t.test('the reason label stays bounded: long reasons are cut, distinct ones beyond the cap become "other"', async (t) => {
  const telemetry = telemetryWithClock(1);
  t.teardown(() => telemetry.shutdown());
  for (let i = 0; i < 150; i += 1) telemetry.beginReview().end({ decision: 'skipped', reason: `c${i}: skip`, namespace: 'a', ops: 0 });
  telemetry.beginReview().end({ decision: 'skipped', reason: 'x'.repeat(500), namespace: 'a', ops: 0 });
  const requests = parsePrometheus(await telemetry.prometheusText()).get('otel_injector_admission_requests_total');
  const reasons = new Set(requests?.samples.map((s) => s.labels.reason));
  t.equal(reasons.size, 101, '100 distinct reasons and "other"');
  t.equal(sampleValue(requests, { reason: 'other' }), 51, 'the 50 reasons past the cap and the long one');
  t.equal(requests?.samples.reduce((sum, s) => sum + s.value, 0), 151, 'every review still counted');
});
