import t, { type Test } from 'tap';
import { pino, type Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import { TestClock } from '../support/clock.js';
import { createTelemetry, type TelemetryDeps } from '../../src/telemetry/index.js';
import type { ReviewOutcome, Telemetry } from '../../src/telemetry/types.js';
import { attributeMap, metricsNamed, parsePrometheus, spans, startReceiver, type Received } from './otlp-receiver.js';

interface Captured {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
}

function capturedLogger(): Captured {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const NOW = new Date('2026-11-25T09:00:00Z');
const EXPIRY = new Date(NOW.getTime() + 3 * 86_400_000);

/** A clock whose monotonic time advances 2 ms per read, so every review lasts a known, non-zero time. */
const steppingClock = (): Clock => new TestClock({ at: NOW, stepMs: 2 });

function deps(logger: Logger, extra: Partial<TelemetryDeps> = {}): TelemetryDeps {
  return { logger, version: '9.8.7', certExpiry: () => EXPIRY, clock: steppingClock(), ...extra };
}

const OUTCOMES: ReviewOutcome[] = [
  { decision: 'injected', reason: 'injected', namespace: 'bakery-ia', ops: 7 },
  { decision: 'injected', reason: 'injected', namespace: 'bakery-ia', ops: 7 },
  { decision: 'skipped', reason: 'annotation-opt-out', namespace: 'bakery-ia', ops: 0 },
  { decision: 'bypassed', reason: 'namespace-not-enabled', namespace: 'kube-system', ops: 0 },
  { decision: 'error', reason: 'internal', namespace: 'orders', ops: 0 },
];

function review(telemetry: Telemetry, outcomes: readonly ReviewOutcome[]): Array<string | undefined> {
  return outcomes.map((outcome) => {
    const observation = telemetry.beginReview();
    observation.end(outcome);
    return observation.traceId;
  });
}

/** Sum of the last exported cumulative data points of the requests counter, keyed decision|reason|namespace. */
function exportedCounts(received: readonly Received[]): Map<string, number> {
  const metrics = metricsNamed(received, 'otel_injector.admission.requests');
  const last = metrics[metrics.length - 1];
  const counts = new Map<string, number>();
  for (const point of last?.sum?.dataPoints ?? []) {
    const a = attributeMap(point.attributes);
    counts.set(`${a.decision}|${a.reason}|${a.request_namespace}`, Number(point.asDouble ?? point.asInt));
  }
  return counts;
}

function expectedCounts(outcomes: readonly ReviewOutcome[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = `${o.decision}|${o.reason}|${o.namespace}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}


function checkDurations(t: Test, received: readonly Received[]): void {
  const durations = metricsNamed(received, 'otel_injector.admission.duration');
  t.equal(durations[0]?.unit, 's');
  const points = durations[durations.length - 1]?.histogram?.dataPoints ?? [];
  const injected = points.find((p: any) => attributeMap(p.attributes).decision === 'injected');
  t.equal(Number(injected?.count), 2, 'two injected reviews timed');
  t.ok(Math.abs(Number(injected?.sum) - 0.004) < 1e-9, 'each review lasted 2 ms by the clock');
  t.equal(Number(injected?.bucketCounts?.[4]), 2, 'both in the (1 ms, 2.5 ms] bucket');
}

function checkCertExpiry(t: Test, received: readonly Received[]): void {
  const expiry = metricsNamed(received, 'otel_injector.certificate.expiry');
  t.equal(expiry[0]?.gauge?.dataPoints?.[0]?.asDouble, 3 * 86_400, 'seconds until the certificate expires');
}

function checkProcessMetrics(t: Test, received: readonly Received[]): void {
  for (const name of ['process.cpu.time', 'process.memory.usage', 'v8js.memory.heap.used', 'nodejs.eventloop.utilization']) {
    t.ok(metricsNamed(received, name).length > 0, `process metric ${name} exported`);
  }
  const rss = metricsNamed(received, 'process.memory.usage')[0]?.sum?.dataPoints?.[0];
  t.ok(Number(rss?.asDouble ?? rss?.asInt) > 10_000_000, 'RSS is a real number of bytes');
}

function checkSpans(t: Test, received: readonly Received[], traceIds: ReadonlyArray<string | undefined>): void {
  const exported = spans(received);
  t.equal(exported.length, OUTCOMES.length, 'one span per review');
  t.same(exported.map((s: any) => s.traceId).sort(), [...traceIds].sort(), 'traceId handed to the log is the span’s');
  OUTCOMES.forEach((outcome, index) => {
    const span = exported.find((s: any) => s.traceId === traceIds[index]);
    t.equal(span?.name, 'admission.review');
    t.equal(span?.kind, 2, 'SPAN_KIND_SERVER');
    t.same(attributeMap(span?.attributes), {
      'otel_injector.request_namespace': outcome.namespace,
      'otel_injector.decision': outcome.decision,
      'otel_injector.reason': outcome.reason,
      'otel_injector.ops': outcome.ops,
    });
    t.equal(span?.status?.code ?? 0, outcome.decision === 'error' ? 2 : 0, 'status ERROR only for error');
  });
  const resource = (received.find((r) => r.path === '/v1/traces')?.body as any).resourceSpans[0].resource;
  t.match(attributeMap(resource.attributes), { 'service.name': 'otel-injector', 'service.version': '9.8.7' });
}

void t.test('OTLP/HTTP: a real receiver gets the counts, durations, cert expiry, process metrics and one span per review', async (t) => {
  const receiver = await startReceiver('ok');
  t.teardown(() => receiver.close());
  const { logger } = capturedLogger();
  const telemetry = createTelemetry({ otlpEndpoint: `${receiver.url}/`, exportIntervalMs: 60_000 }, deps(logger));
  const traceIds = review(telemetry, OUTCOMES);
  await telemetry.shutdown();

  t.ok(receiver.received.length >= 2, 'metrics and traces arrived');
  t.ok(receiver.received.every((r) => r.contentType?.startsWith('application/json')), 'http/json protocol');
  t.same(exportedCounts(receiver.received), expectedCounts(OUTCOMES), 'counter by decision, reason, namespace');
  checkDurations(t, receiver.received);
  checkCertExpiry(t, receiver.received);
  checkProcessMetrics(t, receiver.received);
  checkSpans(t, receiver.received, traceIds);
});

void t.test('metrics are pushed on the export interval, not only at shutdown', async (t) => {
  const receiver = await startReceiver('ok');
  t.teardown(() => receiver.close());
  const telemetry = createTelemetry({ otlpEndpoint: receiver.url, exportIntervalMs: 200 }, deps(capturedLogger().logger));
  t.teardown(() => telemetry.shutdown());
  review(telemetry, OUTCOMES.slice(0, 2));
  await receiver.waitFor((r) => exportedCounts(r).get('injected|injected|bakery-ia') === 2, 3000);
  review(telemetry, OUTCOMES.slice(0, 1));
  await receiver.waitFor((r) => exportedCounts(r).get('injected|injected|bakery-ia') === 3, 3000);
  t.pass('two periodic exports with cumulative counts 2 then 3');
});

void t.test('the span joins the caller’s trace from a W3C traceparent; a bad header starts a new trace', async (t) => {
  const receiver = await startReceiver('ok');
  t.teardown(() => receiver.close());
  const telemetry = createTelemetry({ otlpEndpoint: receiver.url, exportIntervalMs: 60_000 }, deps(capturedLogger().logger));
  const parent = telemetry.beginReview('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  parent.end(OUTCOMES[0] as ReviewOutcome);
  const fresh = telemetry.beginReview('garbage');
  fresh.end(OUTCOMES[0] as ReviewOutcome);
  await telemetry.shutdown();
  t.equal(parent.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  t.match(fresh.traceId, /^[0-9a-f]{32}$/);
  t.not(fresh.traceId, parent.traceId);
  const child = spans(receiver.received).find((s: any) => s.traceId === parent.traceId);
  t.equal(child?.parentSpanId, '00f067aa0ba902b7');
});

void t.test('no endpoint: no traceId, nothing sent anywhere, /metrics still counts', async (t) => {
  const receiver = await startReceiver('ok');
  t.teardown(() => receiver.close());
  const telemetry = createTelemetry({ otlpEndpoint: undefined, exportIntervalMs: 100 }, deps(capturedLogger().logger));
  const traceIds = review(telemetry, OUTCOMES);
  await new Promise((resolve) => setTimeout(resolve, 400));
  const text = await telemetry.prometheusText();
  await telemetry.shutdown();
  t.same(traceIds, OUTCOMES.map(() => undefined), 'no span, no trace id');
  t.equal(receiver.received.length, 0, 'receiver got nothing');
  const total = parsePrometheus(text).get('otel_injector_admission_requests_total');
  t.equal(total?.samples.reduce((sum, s) => sum + s.value, 0), OUTCOMES.length);
});

void t.test('an exporter that fails only logs, rate-limited; the admission path never sees it', async (t) => {
  const receiver = await startReceiver('fail');
  t.teardown(() => receiver.close());
  const { logger, lines } = capturedLogger();
  const telemetry = createTelemetry({ otlpEndpoint: receiver.url, exportIntervalMs: 100 }, deps(logger));
  review(telemetry, OUTCOMES);
  await receiver.waitFor((r) => r.filter((x) => x.path === '/v1/metrics').length >= 4, 5000);
  review(telemetry, OUTCOMES);
  await telemetry.shutdown();
  const warnings = lines.filter((l) => String(l.msg).startsWith('self-telemetry'));
  t.equal(warnings.length, 1, `one warning for ${receiver.received.length} failed exports`);
  t.equal(warnings[0]?.level, 40);
});

void t.test('shutdown is bounded when the collector never answers', async (t) => {
  const receiver = await startReceiver('hang');
  t.teardown(() => receiver.close());
  const { logger, lines } = capturedLogger();
  const telemetry = createTelemetry(
    { otlpEndpoint: receiver.url, exportIntervalMs: 1000 },
    deps(logger, { shutdownTimeoutMs: 300 }),
  );
  review(telemetry, OUTCOMES);
  const started = performance.now();
  await telemetry.shutdown();
  const elapsed = performance.now() - started;
  t.ok(elapsed < 1500, `shutdown took ${elapsed.toFixed(0)} ms`);
  await receiver.waitFor((r) => r.length > 0, 2000);
  t.ok(lines.some((l) => String(l.msg).includes('did not finish in time')), 'the drop is logged');
});

void t.test('throwing hooks never reach the caller', async (t) => {
  const { logger, lines } = capturedLogger();
  const telemetry = createTelemetry(
    { otlpEndpoint: undefined, exportIntervalMs: 1000 },
    deps(logger, {
      certExpiry: () => {
        throw new Error('cert source broken');
      },
    }),
  );
  t.teardown(() => telemetry.shutdown());
  const observation = telemetry.beginReview();
  t.doesNotThrow(() => observation.end(OUTCOMES[0] as ReviewOutcome));
  t.doesNotThrow(() => observation.end(OUTCOMES[0] as ReviewOutcome), 'second end is ignored');
  const malformed = telemetry.beginReview();
  t.doesNotThrow(() => (malformed.end as (o: unknown) => void)(undefined), 'even a malformed outcome');
  const families = parsePrometheus(await telemetry.prometheusText());
  t.notOk(families.get('otel_injector_certificate_expiry')?.samples.length, 'no expiry sample when the source throws');
  t.ok(lines.some((l) => String(l.msg) === 'self-telemetry hook failed'), 'the failure is logged');
});
