// The pod cache's transform: what a cached pod keeps of a real-shaped pod (spec, status, managed fields,
// other annotations dropped), pooling of what pods share, and findings that do not change by it.
import t from 'tap';
import fc from 'fast-check';
import { findUninstrumented } from '../../src/controller/findings.js';
import { KEPT_ANNOTATIONS, PodSlimmer, samePod } from '../../src/controller/slim.js';
import type { PodView } from '../../src/controller/types.js';
import { podBody, runningStatus } from '../../bench/lib/cluster-pods.js';

const IMAGE = 'registry.invalid/bench/otel-preload:2';

/** A pod as the API server returns it: the bench's real-shaped pod with server fields and a status. */
function stored(deploy: string, hash: string, index: number, state: 'injected' | 'not-seen' | 'outdated' = 'injected'): Record<string, any> {
  const pod = podBody(deploy, hash, `uid-${deploy}-${hash}`, index, state) as Record<string, any>;
  pod.metadata = {
    ...pod.metadata,
    namespace: 'shop',
    uid: `pod-uid-${deploy}-${index}`,
    resourceVersion: '4242',
    creationTimestamp: '2026-12-07T10:00:00Z',
    generateName: `${deploy}-${hash}-`,
    managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-12-07T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
  };
  pod.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'not-the-controller', uid: 'cm' }, ...pod.metadata.ownerReferences];
  return { ...pod, ...runningStatus() };
}

t.test('kept: name, namespace, creation and deletion time, labels, the controlling owner, our annotations, the phase', async (t) => {
  const slimmer = new PodSlimmer();
  const raw = stored('api', '7d9f8b6c5', 3, 'outdated');
  raw.metadata.deletionTimestamp = '2026-12-07T10:05:00Z';
  raw.metadata.annotations['otel-injector.io/restarted-at'] = '2026-12-07T09:00:00Z';
  raw.metadata.annotations['otel-injector.io/skipped-containers'] = 'logs: not node or python';
  t.strictSame(slimmer.slim(raw), {
    metadata: {
      name: 'api-7d9f8b6c5-00003',
      namespace: 'shop',
      creationTimestamp: '2026-12-07T10:00:00Z',
      ownerReferences: [{ kind: 'ReplicaSet', name: 'api-7d9f8b6c5', controller: true, uid: 'uid-api-7d9f8b6c5', apiVersion: 'apps/v1' }],
      deletionTimestamp: '2026-12-07T10:05:00Z',
      labels: { app: 'api', 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/version': '1.4.2', 'pod-template-hash': '7d9f8b6c5', team: 'payments' },
      annotations: { 'otel-injector.io/status': 'injected: node,python', 'otel-injector.io/payload-image': 'registry.invalid/bench/otel-preload:1', 'otel-injector.io/restarted-at': '2026-12-07T09:00:00Z' },
    },
    status: { phase: 'Running' },
  }, 'spec, the rest of the status, managed fields, resourceVersion, the pod uid of an owned pod, other owner references and other annotations are gone');
  t.same(KEPT_ANNOTATIONS, ['otel-injector.io/inject', 'otel-injector.io/status', 'otel-injector.io/payload-image', 'otel-injector.io/preload', 'otel-injector.io/restarted-at']);
  const bare = slimmer.slim({ metadata: { name: 'debug', namespace: 'shop', uid: 'u-debug', creationTimestamp: '2026-12-07T10:00:00Z', annotations: { 'otel-injector.io/inject': 'false', other: 'x' } } });
  t.strictSame(bare, { metadata: { name: 'debug', namespace: 'shop', creationTimestamp: '2026-12-07T10:00:00Z', uid: 'u-debug', annotations: { 'otel-injector.io/inject': 'false' } } }, 'a bare pod keeps its uid (its Event names it); metadata-only input has no status');
  t.equal(slimmer.slim({ kind: 'Status' }), undefined, 'no name: nothing cached');
  t.ok(JSON.stringify(slimmer.slim(raw)).length * 10 < JSON.stringify(raw).length, `${JSON.stringify(slimmer.slim(raw)).length} of ${JSON.stringify(raw).length} bytes of JSON kept`);
});

t.test('label sets and owner references are shared by the pods of a ReplicaSet, and freed with the last one', async (t) => {
  const slimmer = new PodSlimmer();
  const a = slimmer.slim(stored('api', 'h1', 1)) as PodView;
  const b = slimmer.slim(stored('api', 'h1', 2)) as PodView;
  const c = slimmer.slim(stored('web', 'h2', 1)) as PodView;
  t.equal(a.metadata?.labels, b.metadata?.labels, 'one label object for both pods');
  t.equal(a.metadata?.ownerReferences, b.metadata?.ownerReferences, 'one owner reference for both pods');
  t.not(a.metadata?.labels, c.metadata?.labels);
  t.ok(Object.isFrozen(a.metadata?.labels) && Object.isFrozen(a.metadata?.ownerReferences), 'shared parts are frozen');
  t.same(slimmer.pooled(), { labels: 2, owners: 2 });
  t.ok(samePod(a, slimmer.slim(stored('api', 'h1', 1)) as PodView), 'the same pod listed again is the same');
  slimmer.release(a);
  slimmer.release(a); // the relisted copy
  t.same(slimmer.pooled(), { labels: 2, owners: 2 }, 'b still uses them');
  slimmer.release(b);
  slimmer.release(c);
  t.same(slimmer.pooled(), { labels: 0, owners: 0 }, 'freed with the last pod');
});

t.test('the findings of slimmed pods are those of the pods as the API sends them', async (t) => {
  const podArb = fc.record({
    deploy: fc.constantFrom('api', 'web'),
    hash: fc.constantFrom('h1', 'h2'),
    index: fc.nat({ max: 5 }),
    state: fc.constantFrom('injected' as const, 'not-seen' as const, 'outdated' as const),
    phase: fc.constantFrom('Running', 'Succeeded', 'Pending'),
    optOut: fc.boolean(),
    bare: fc.boolean(),
    kind: fc.constantFrom('ReplicaSet', 'StatefulSet', 'Job'),
  }).map((p) => {
    const raw = stored(p.deploy, p.hash, p.index, p.state);
    raw.status.phase = p.phase;
    if (p.optOut) raw.metadata.annotations['otel-injector.io/inject'] = 'false';
    if (p.bare) delete raw.metadata.ownerReferences;
    else if (p.kind !== 'ReplicaSet') raw.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: p.kind, name: p.deploy, uid: `u-${p.deploy}`, controller: true }];
    return raw;
  });
  fc.assert(fc.property(fc.uniqueArray(podArb, { selector: (p) => p.metadata.name, maxLength: 30 }), (raws) => {
    const slimmer = new PodSlimmer();
    const full = findUninstrumented({ pods: raws as PodView[], payloadImage: IMAGE });
    const slim = findUninstrumented({ pods: raws.map((r) => slimmer.slim(r) as PodView), payloadImage: IMAGE });
    t.same(slim, full);
  }), { numRuns: 200 });
});
