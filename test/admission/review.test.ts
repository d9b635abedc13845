import t from 'tap';
import { parseReview } from '../../src/admission/parse.js';
import { reviewAdmission } from '../../src/admission/review.js';
import type { AdmissionRequest } from '../../src/admission/types.js';
import { BadReviewError } from '../../src/errors.js';
import { admit, deploymentPod, patchOf, reviewOf, testConfig } from '../support/admission.js';

const config = testConfig();

function run(overrides: Partial<AdmissionRequest>, pod: unknown = deploymentPod()): ReturnType<typeof reviewAdmission> {
  return reviewAdmission(reviewOf(pod, overrides).request as AdmissionRequest, config.inject);
}

t.test('the answer echoes uid, is allowed and carries a base64 JSONPatch only when there is a change', async (t) => {
  const review = reviewOf(deploymentPod());
  const result = reviewAdmission(review.request as AdmissionRequest, config.inject);
  t.equal(result.review.apiVersion, 'admission.k8s.io/v1');
  t.equal(result.review.kind, 'AdmissionReview');
  t.equal(result.review.response?.uid, review.request?.uid);
  t.equal(result.review.response?.allowed, true);
  t.equal(result.review.response?.patchType, 'JSONPatch');
  t.equal(result.ops, patchOf(result.review).length);
  t.ok(result.ops > 0);
  const bypass = deploymentPod();
  bypass.metadata.annotations = { 'otel-injector.io/inject': 'false' };
  const none = run({}, bypass);
  t.same(none.review.response, { uid: none.review.response?.uid, allowed: true }, 'no change: no patch, no patchType');
});

t.test('only Pod CREATE is mutated', async (t) => {
  for (const overrides of [
    { operation: 'UPDATE' },
    { operation: 'DELETE' },
    { kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' } },
    { subResource: 'ephemeralcontainers', operation: 'UPDATE' },
    { subResource: 'binding' },
  ] as Array<Partial<AdmissionRequest>>) {
    const result = run(overrides);
    t.same(result.review.response, { uid: result.review.response?.uid, allowed: true }, JSON.stringify(overrides));
    t.equal(result.decision, 'not_pod');
  }
});

t.test('dryRun is mutated exactly like a real request', async (t) => {
  const real = admit(deploymentPod());
  const dry = admit(deploymentPod(), config, { dryRun: true });
  t.same(dry.ops, real.ops);
});

t.test('the namespace is request.namespace, not the pod metadata', async (t) => {
  const pod = deploymentPod();
  delete pod.metadata.namespace;
  const { pod: after } = admit(pod, config, { namespace: 'payments' });
  const attributes = after.spec.containers[0].env.find((e: { name: string }) => e.name === 'OTEL_RESOURCE_ATTRIBUTES').value;
  t.match(attributes, /k8s\.namespace\.name=payments/);
  t.equal(after.metadata.namespace, undefined, 'metadata.namespace not invented');
});

t.test('objects that cannot be handled are allowed untouched with a warning', async (t) => {
  const broken: unknown[] = [
    { spec: { containers: 'nope' } },
    { spec: { containers: [{ name: 'a', env: 'x' }] } },
    { spec: { containers: [{ name: 'a', env: [{ value: 'no name' }] }] } },
    { spec: { containers: [{ name: 'a', volumeMounts: [{ name: 'v' }] }] } },
    { spec: { containers: [{ name: 'a' }], volumes: {} } },
    { spec: { containers: [{ name: 'a' }], initContainers: [null] } },
    { metadata: { annotations: { a: 1 } }, spec: { containers: [{ name: 'a' }] } },
    { metadata: 'x', spec: { containers: [] } },
    { spec: null },
    null,
    'a string',
  ];
  for (const object of broken) {
    const result = run({}, object);
    t.equal(result.review.response?.allowed, true, JSON.stringify(object));
    t.equal(result.review.response?.patch, undefined);
    t.equal(result.decision, 'error');
    t.match(result.review.response?.warnings?.[0], /^otel-injector: pod admitted without instrumentation: /);
    t.equal(result.error, undefined, 'an expected shape problem, not an internal error');
  }
});

t.test('parseReview rejects what is not an AdmissionReview', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /not a JSON object/],
    [[], /not a JSON object/],
    [{ kind: 'Pod' }, /kind is not AdmissionReview/],
    [{ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1beta1', request: { uid: 'x' } }, /apiVersion/],
    [{ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }, /request is missing/],
    [{ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: '' } }, /uid is missing/],
    [{ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: 7 } }, /uid is missing/],
  ];
  for (const [body, message] of cases) {
    t.throws(() => parseReview(body), message);
    t.throws(() => parseReview(body), BadReviewError);
  }
});

t.test('metric reasons drop container names', async (t) => {
  const { reasonClass } = await import('../../src/admission/review.js');
  t.equal(reasonClass('api: NODE_OPTIONS comes from valueFrom; worker-2: NODE_OPTIONS comes from valueFrom'), 'NODE_OPTIONS comes from valueFrom');
  t.equal(reasonClass('api: /otel-injector is already mounted; web: instrumented by another injector'), '/otel-injector is already mounted; instrumented by another injector');
  t.equal(reasonClass('owner kind Job is skipped by configuration'), 'owner kind Job is skipped by configuration');
});
