import fc from 'fast-check';
import t from 'tap';
import type { AdmissionReview } from '../../src/admission/types.js';
import { arbAdmissionReview } from '../support/arbitraries.js';
import { applyPatch, deploymentPod, patchOf, reviewOf, testConfig } from '../support/admission.js';
import { testApp } from '../support/app.js';

t.test('POST /mutate answers an AdmissionReview with a patch that injects the pod', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const review = reviewOf(deploymentPod());
  const response = await app.inject({ method: 'POST', url: '/mutate', payload: review });
  t.equal(response.statusCode, 200);
  const answer = response.json<AdmissionReview>();
  t.equal(answer.response?.uid, review.request?.uid);
  const pod = applyPatch(review.request?.object, patchOf(answer)) as Record<string, any>;
  t.equal(pod.metadata.annotations['otel-injector.io/status'], 'injected: node,python');
});

t.test('one JSON log line per review with the decision, never env values or whole pods', async (t) => {
  const { app, logs, rawLogs } = await testApp();
  t.teardown(() => app.close());
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({ name: 'API_KEY', value: 'sk-live-very-secret-value' });
  const review = reviewOf(pod);
  await app.inject({ method: 'POST', url: '/mutate', payload: review });
  const reviews = logs().filter((line) => line.msg === 'review');
  t.equal(reviews.length, 1);
  const line = reviews[0] ?? {};
  t.equal(line.uid, review.request?.uid);
  t.equal(line.namespace, 'bakery-ia');
  t.equal(line.pod, 'orders-api-7d9f8b6c5d-');
  t.equal(line.decision, 'injected');
  t.equal(typeof line.ops, 'number');
  t.equal(typeof line.durationMs, 'number');
  t.notOk(rawLogs().includes('sk-live-very-secret-value'), 'env values never logged');
  t.notOk(rawLogs().includes('registry.example.com'), 'pod spec never logged');
});

t.test('malformed input gets 400 with a short reason; too large gets 413', async (t) => {
  const { app } = await testApp({ config: testConfig({ MAX_BODY_BYTES: '2048' }) });
  t.teardown(() => app.close());
  const cases: Array<[string, string | undefined]> = [
    ['not json', 'application/json'],
    ['{"kind":"Pod"}', 'application/json'],
    ['{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{}}', 'application/json'],
    ['garbage', 'text/plain'],
    ['', 'application/json'],
  ];
  for (const [payload, type] of cases) {
    const response = await app.inject({ method: 'POST', url: '/mutate', payload, headers: type === undefined ? {} : { 'content-type': type } });
    t.equal(response.statusCode, 400, payload);
    t.type(response.json().message, 'string');
  }
  const big = reviewOf({ ...deploymentPod(), padding: 'x'.repeat(4096) });
  const response = await app.inject({ method: 'POST', url: '/mutate', payload: big });
  t.equal(response.statusCode, 413);
});

t.test('an unexpected exception is allowed untouched with a warning and logged', async (t) => {
  const config = testConfig();
  const broken = { ...config, inject: { ...config.inject, skipOwnerKinds: null as unknown as string[] } };
  const { app, logs } = await testApp({ config: broken });
  t.teardown(() => app.close());
  const review = reviewOf(deploymentPod());
  const response = await app.inject({ method: 'POST', url: '/mutate', payload: review });
  t.equal(response.statusCode, 200);
  const answer = response.json<AdmissionReview>();
  t.same(answer.response?.allowed, true);
  t.equal(answer.response?.patch, undefined);
  t.match(answer.response?.warnings?.[0], /internal error/);
  const errorLine = logs().find((line) => line.level === 50);
  t.equal(errorLine?.decision, 'error');
  t.match((errorLine?.err as { message?: string })?.message, /null/);
});

t.test('health and readiness', async (t) => {
  let ready = false;
  const { app } = await testApp({ readiness: { isReady: () => ready } });
  t.teardown(() => app.close());
  t.equal((await app.inject('/healthz')).statusCode, 200);
  t.equal((await app.inject('/readyz')).statusCode, 503);
  ready = true;
  t.equal((await app.inject('/readyz')).statusCode, 200);
});

t.test('never 5xx, never a wrong uid, for random reviews and hostile variations', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const hostile = fc.oneof(
    arbAdmissionReview(),
    arbAdmissionReview().map((review) => {
      const request = review.request as Record<string, unknown>;
      return { ...review, request: { ...request, object: { spec: { containers: [{ name: 'a', env: { x: 1 } }] } } } };
    }),
    arbAdmissionReview().map((review) => ({ ...review, request: { ...(review.request as object), object: undefined } })),
    arbAdmissionReview().map((review) => ({ ...review, request: { ...(review.request as object), kind: { group: 'x', version: 'v1', kind: 42 } } })),
  );
  await fc.assert(
    fc.asyncProperty(hostile, async (review) => {
      const response = await app.inject({ method: 'POST', url: '/mutate', payload: review });
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}: ${response.body}`);
      const answer = response.json<AdmissionReview>();
      if (answer.response?.uid !== (review.request as { uid: string }).uid) throw new Error('uid not echoed');
      if (answer.response.allowed !== true) throw new Error('not allowed');
    }),
    { numRuns: 300 },
  );
  t.pass('300 reviews answered 200 with their uid');
});
