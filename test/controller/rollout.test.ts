import t from 'tap';
import { decide, endPatch, restartPatch, rolloutStatus, selectorMatches } from '../../src/controller/rollout.js';
import type { Finding, WorkloadObject } from '../../src/controller/types.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function finding(createdMs: number[], labels: Record<string, string> = { app: 'api' }): Finding {
  return { key: 'Deployment/shop/api', owner: { kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'shop', name: 'api', restartable: true, podLabels: labels }, reason: 'not-seen', pods: createdMs.map((_, i) => `p${i}`), createdMs };
}

function deployment(extra: { meta?: Record<string, string>; template?: Record<string, string>; spec?: Record<string, unknown>; status?: Record<string, unknown>; generation?: number } = {}): WorkloadObject {
  return {
    metadata: { name: 'api', namespace: 'shop', generation: extra.generation ?? 1, resourceVersion: '42', annotations: extra.meta },
    spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: { metadata: { annotations: extra.template } }, ...extra.spec },
    status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2, ...extra.status },
  };
}

t.test('rollout status follows kubectl rollout status', async (t) => {
  t.equal(rolloutStatus('Deployment', deployment()).state, 'complete');
  t.equal(rolloutStatus('Deployment', deployment({ generation: 2 })).state, 'progressing', 'a new generation not yet observed');
  t.equal(rolloutStatus('Deployment', deployment({ status: { updatedReplicas: 1 } })).state, 'progressing');
  t.equal(rolloutStatus('Deployment', deployment({ status: { replicas: 3 } })).state, 'progressing', 'old replicas still terminating');
  t.equal(rolloutStatus('Deployment', deployment({ status: { availableReplicas: 1 } })).state, 'progressing');
  t.match(rolloutStatus('Deployment', deployment({ status: { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "api-x" has timed out progressing.' }] } })), { state: 'failed', message: /timed out/ });
  const sts = (status: Record<string, unknown>, partition?: number): WorkloadObject => ({ metadata: { generation: 1 }, spec: { replicas: 2, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } }, status: { observedGeneration: 1, ...status } });
  t.equal(rolloutStatus('StatefulSet', sts({ updatedReplicas: 2, readyReplicas: 2, currentRevision: 'b', updateRevision: 'b' })).state, 'complete');
  t.equal(rolloutStatus('StatefulSet', sts({ updatedReplicas: 2, readyReplicas: 2, currentRevision: 'a', updateRevision: 'b' })).state, 'progressing');
  t.equal(rolloutStatus('StatefulSet', sts({ updatedReplicas: 1, readyReplicas: 2, currentRevision: 'a', updateRevision: 'b' }, 1)).state, 'complete', 'a partition: done when the pods above it are updated');
  const ds = (status: Record<string, unknown>): WorkloadObject => ({ metadata: { generation: 3 }, status: { observedGeneration: 3, ...status } });
  t.equal(rolloutStatus('DaemonSet', ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 })).state, 'complete');
  t.equal(rolloutStatus('DaemonSet', ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 2, numberAvailable: 3 })).state, 'progressing');
});

t.test('label selectors', async (t) => {
  const sel = { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'canary', operator: 'DoesNotExist' }] };
  t.ok(selectorMatches(sel, { app: 'api', tier: 'web' }));
  t.notOk(selectorMatches(sel, { app: 'api', tier: 'db' }));
  t.notOk(selectorMatches(sel, { app: 'api', tier: 'web', canary: 'yes' }));
  t.ok(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['1'] }, { key: 'y', operator: 'Exists' }] }, { y: '' }));
  t.notOk(selectorMatches(undefined, { app: 'api' }), 'no selector matches nothing');
});

t.test('decide: restart once per occurrence, adopt our own rollout, never twice for the same pods', async (t) => {
  t.same(decide(deployment(), finding([T0])), { action: 'restart' }, 'never restarted: restart');
  t.match(decide(deployment(), finding([T0], { app: 'other' })), { action: 'skip', why: /selector does not match/ }, 'a same-named Deployment that does not select the pods is not their owner');
  t.match(decide(deployment({ template: { 'otel-injector.io/inject': 'false' } }), finding([T0])), { action: 'skip', why: /opts out/ });
  t.match(decide(deployment({ spec: { paused: true } }), finding([T0])), { action: 'skip', why: /paused/ });
  t.match(decide(deployment({ spec: { updateStrategy: { type: 'OnDelete' } } }), finding([T0])), { action: 'skip', why: /OnDelete/ });

  const restarted = iso(T0 + 60_000);
  const rolling = deployment({ template: { 'otel-injector.io/restarted-at': restarted }, meta: { 'otel-injector.io/restart-state': 'rolling' } });
  t.same(decide(rolling, finding([T0])), { action: 'adopt' }, 'our rollout under way (another leader may have started it): follow it');

  const done = (doneMs: number): WorkloadObject => deployment({ template: { 'otel-injector.io/restarted-at': restarted }, meta: { 'otel-injector.io/restart-state': 'done', 'otel-injector.io/restart-done-at': iso(doneMs) } });
  t.match(decide(done(T0 + 120_000), finding([T0 + 90_000])), { action: 'skip', why: /already restarted once for this/ }, 'pods of our own rollout still uninstrumented: not again');
  t.match(decide(done(T0 + 120_000), finding([T0])), { action: 'skip', why: /predate/ });
  t.same(decide(done(T0 + 120_000), finding([T0 + 600_000])), { action: 'restart' }, 'a pod created after our rollout completed (the webhook was down later): a new occurrence');
  t.match(decide(deployment({ meta: { 'otel-injector.io/restart-state': 'failed' }, template: { 'otel-injector.io/restarted-at': restarted } }), finding([T0 + 600_000])), { action: 'skip', why: /failed/ });
});

t.test('patches: the rollout trigger with a resourceVersion guard, and the end record', async (t) => {
  const now = new Date(T0);
  t.same(restartPatch(deployment(), 'not-seen', now), {
    metadata: { resourceVersion: '42', annotations: { 'otel-injector.io/restart-reason': 'not-seen', 'otel-injector.io/restart-state': 'rolling', 'otel-injector.io/restart-done-at': null } },
    spec: { template: { metadata: { annotations: { 'otel-injector.io/restarted-at': '2026-11-26T10:00:00.000Z' } } } },
  });
  t.same(endPatch('failed', now), { metadata: { annotations: { 'otel-injector.io/restart-state': 'failed', 'otel-injector.io/restart-done-at': '2026-11-26T10:00:00.000Z' } } });
});
