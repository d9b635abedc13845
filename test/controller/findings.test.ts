import t from 'tap';
import { ownerOf, uninstrumentedReason } from '../../src/controller/classify.js';
import { countByNamespaceAndReason, findUninstrumented } from '../../src/controller/findings.js';
import type { PodView } from '../../src/controller/types.js';

const IMAGE = 'registry.example/otel-preload:2';
type Meta = NonNullable<PodView['metadata']>;

function pod(name: string, extra: Partial<Meta> = {}, phase = 'Running'): PodView {
  return { metadata: { name, namespace: 'shop', creationTimestamp: '2026-11-26T10:00:00Z', ...extra }, status: { phase } };
}
const rsOwned = (deploy: string, hash: string): Partial<Meta> => ({
  labels: { app: deploy, 'pod-template-hash': hash },
  ownerReferences: [{ kind: 'ReplicaSet', name: `${deploy}-${hash}`, uid: 'rs-uid', controller: true, apiVersion: 'apps/v1' }],
});
const injected = (image = IMAGE): Record<string, string> => ({ 'otel-injector.io/status': 'injected: python', 'otel-injector.io/payload-image': image });

t.test('which pods count as uninstrumented, and why', async (t) => {
  t.equal(uninstrumentedReason(pod('a'), IMAGE), 'not-seen', 'no status: never seen by the webhook');
  t.equal(uninstrumentedReason(pod('b', { annotations: injected() }), IMAGE), undefined, 'injected with the current preload');
  t.equal(uninstrumentedReason(pod('c', { annotations: injected('registry.example/otel-preload:1') }), IMAGE), 'outdated', 'an older preload');
  t.equal(uninstrumentedReason(pod('d', { annotations: { 'otel-injector.io/status': 'injected: node' } }), IMAGE), 'outdated', 'injected before pods recorded their preload');
  t.equal(uninstrumentedReason(pod('e', { annotations: { 'otel-injector.io/status': 'skipped: windows pod' } }), IMAGE), undefined, 'skipped by the webhook for a reason: its decision stands');
  t.equal(uninstrumentedReason(pod('f', { annotations: { 'otel-injector.io/inject': 'false' } }), IMAGE), undefined, 'opted out');
  t.equal(uninstrumentedReason(pod('g', { deletionTimestamp: '2026-11-26T10:01:00Z' }), IMAGE), undefined, 'going away');
  t.equal(uninstrumentedReason(pod('h', {}, 'Succeeded'), IMAGE), undefined, 'finished');
});

t.test('owners: a ReplicaSet stands for its Deployment; Jobs and bare pods are not restartable', async (t) => {
  t.match(ownerOf(pod('api-7d9f8b6c5-x', rsOwned('api', '7d9f8b6c5'))), { kind: 'Deployment', name: 'api', restartable: true, apiVersion: 'apps/v1' });
  t.match(ownerOf(pod('odd', { labels: { 'pod-template-hash': 'zzz' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'handmade', controller: true }] })), { kind: 'ReplicaSet', name: 'handmade', restartable: false }, 'a ReplicaSet not named after a hash is not a Deployment\'s');
  t.match(ownerOf(pod('ledger-0', { ownerReferences: [{ kind: 'StatefulSet', name: 'ledger', controller: true, apiVersion: 'apps/v1' }] })), { kind: 'StatefulSet', restartable: true });
  t.match(ownerOf(pod('agent-x', { ownerReferences: [{ kind: 'DaemonSet', name: 'agent', controller: true, apiVersion: 'apps/v1' }] })), { kind: 'DaemonSet', restartable: true });
  t.match(ownerOf(pod('migrate-x', { ownerReferences: [{ kind: 'Job', name: 'migrate', controller: true, apiVersion: 'batch/v1' }] })), { kind: 'Job', restartable: false, apiVersion: 'batch/v1' });
  t.match(ownerOf(pod('debug', { uid: 'u1' })), { kind: 'Pod', name: 'debug', uid: 'u1', restartable: false });
  t.match(ownerOf(pod('ref', { ownerReferences: [{ kind: 'Deployment', name: 'x', controller: false }] })), { kind: 'Pod' }, 'only the controlling owner counts');
});

t.test('findings are grouped by workload, sorted, and counted by namespace and reason', async (t) => {
  const pods = [
    pod('web-abc12-1', { ...rsOwned('web', 'abc12'), annotations: injected('old') }),
    pod('web-abc12-2', rsOwned('web', 'abc12')),
    pod('api-def34-1', rsOwned('api', 'def34')),
    pod('api-def34-2', { ...rsOwned('api', 'def34'), annotations: injected() }),
    pod('debug'),
    { ...pod('other'), metadata: { ...pod('other').metadata, namespace: 'bakery' } },
  ];
  const findings = findUninstrumented({ pods, payloadImage: IMAGE });
  t.same(findings.map((f) => [f.key, f.reason, f.pods]), [
    ['Pod/bakery/other', 'not-seen', ['other']],
    ['Deployment/shop/api', 'not-seen', ['api-def34-1']],
    ['Deployment/shop/web', 'not-seen', ['web-abc12-1', 'web-abc12-2']],
    ['Pod/shop/debug', 'not-seen', ['debug']],
  ]);
  t.same([...countByNamespaceAndReason(findings).values()], [
    { namespace: 'bakery', reason: 'not-seen', count: 1 },
    { namespace: 'shop', reason: 'not-seen', count: 3 },
  ]);
  const outdated = findUninstrumented({ pods: [pod('web-abc12-1', { ...rsOwned('web', 'abc12'), annotations: injected('old') })], payloadImage: IMAGE });
  t.equal(outdated[0]?.reason, 'outdated');
});
