// Through the real app: AdmissionReviews POSTed with app.inject(); GET /metrics, the log lines and a real
// OTLP/HTTP receiver must all agree with what was sent.
import t from 'tap';
import { pino } from 'pino';
import { createTelemetry } from '../../src/telemetry/index.js';
import { deploymentPod, reviewOf, testConfig, type Obj } from '../support/admission.js';
import { testApp } from '../support/app.js';
import { attributeMap, metricsNamed, parsePrometheus, spans, startReceiver } from './otlp-receiver.js';

function bypassedPod(): Obj {
  const pod = deploymentPod('legacy');
  pod.metadata.annotations = { 'otel-injector.io/inject': 'false' };
  return pod;
}

function windowsPod(): Obj {
  const pod = deploymentPod('win');
  pod.spec.os = { name: 'windows' };
  return pod;
}

const SENT = [
  { review: reviewOf(deploymentPod('orders')), decision: 'injected' },
  { review: reviewOf(deploymentPod('payments')), decision: 'injected' },
  { review: reviewOf(deploymentPod('stock')), decision: 'injected' },
  { review: reviewOf(bypassedPod()), decision: 'bypassed' },
  { review: reviewOf(windowsPod()), decision: 'skipped' },
  { review: reviewOf(deploymentPod('again'), { operation: 'UPDATE' }), decision: 'not_pod' },
];

function sumBy(pairs: ReadonlyArray<[string, number]>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const [key, value] of pairs) sums[key] = (sums[key] ?? 0) + value;
  return sums;
}

function countsBy(decisions: readonly string[]): Record<string, number> {
  return sumBy(decisions.map((decision): [string, number] => [decision, 1]));
}

void t.test('reviews through buildApp: /metrics, log traceIds and the OTLP receiver agree with what was sent', async (t) => {
  const receiver = await startReceiver('ok');
  t.teardown(() => receiver.close());
  const telemetry = createTelemetry(
    { otlpEndpoint: receiver.url, exportIntervalMs: 60_000 },
    { logger: pino({ level: 'silent' }), version: '0.1.0', certExpiry: () => new Date(Date.now() + 3_600_000) },
  );
  const { app, logs } = await testApp({ config: testConfig(), telemetry });
  t.teardown(() => app.close());

  for (const { review } of SENT) {
    const response = await app.inject({ method: 'POST', url: '/mutate', payload: review });
    t.equal(response.statusCode, 200);
  }
  const expected = countsBy(SENT.map((s) => s.decision));

  const scrape = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(scrape.statusCode, 200);
  t.match(scrape.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheus(scrape.body);
  const samples = families.get('otel_injector_admission_requests_total')?.samples ?? [];
  t.ok(samples.every((s) => s.labels.request_namespace === 'bakery-ia'), 'namespace label');
  t.same(sumBy(samples.map((s) => [String(s.labels.decision), s.value])), expected, '/metrics counts by decision');
  const counts = families.get('otel_injector_admission_duration')?.samples.filter((s) => s.name.endsWith('_count')) ?? [];
  t.equal(counts.reduce((sum, s) => sum + s.value, 0), SENT.length, 'one duration per review');

  await telemetry.shutdown();
  const points = metricsNamed(receiver.received, 'otel_injector.admission.requests').at(-1)?.sum?.dataPoints ?? [];
  const pushed = sumBy(points.map((p: any): [string, number] => [String(attributeMap(p.attributes).decision), Number(p.asDouble)]));
  t.same(pushed, expected, 'OTLP counts by decision');

  const logged = logs().filter((line) => line.msg === 'review');
  t.equal(logged.length, SENT.length);
  const exported = spans(receiver.received);
  t.same(
    logged.map((line) => line.traceId).sort(),
    exported.map((span: any) => span.traceId).sort(),
    'every review log line carries the traceId of its exported span',
  );
  t.same(countsBy(exported.map((span: any) => String(attributeMap(span.attributes)['otel_injector.decision']))), expected);
});
