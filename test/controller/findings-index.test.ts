// The incremental findings index against the full recompute: any sequence of pod add/update/delete events
// leaves the index with exactly the findings (and restart-annotated owners) findUninstrumented computes
// from the pods as they are then (fast-check generates the pods and the sequences).
import t from 'tap';
import fc from 'fast-check';
import { ownerOf } from '../../src/controller/classify.js';
import { findUninstrumented } from '../../src/controller/findings.js';
import { FindingsIndex } from '../../src/controller/findings-index.js';
import type { PodView } from '../../src/controller/types.js';
import { workloadKey } from '../../src/controller/types.js';

const IMAGE = 'registry.example/otel-preload:2';
type Meta = NonNullable<PodView['metadata']>;

const owners: Array<Pick<Meta, 'labels' | 'ownerReferences'>> = [
  {},
  { labels: { app: 'web', 'pod-template-hash': 'h1' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-h1', uid: 'rs1', controller: true, apiVersion: 'apps/v1' }] },
  { labels: { app: 'web', 'pod-template-hash': 'h2' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-h2', uid: 'rs2', controller: true, apiVersion: 'apps/v1' }] },
  { labels: { app: 'odd' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'handmade', uid: 'rs3', controller: true, apiVersion: 'apps/v1' }] },
  { labels: { app: 'db' }, ownerReferences: [{ kind: 'StatefulSet', name: 'db', uid: 'ss1', controller: true, apiVersion: 'apps/v1' }] },
  { labels: { app: 'agent' }, ownerReferences: [{ kind: 'DaemonSet', name: 'agent', uid: 'ds1', controller: true, apiVersion: 'apps/v1' }] },
  { labels: { 'job-name': 'migrate' }, ownerReferences: [{ kind: 'Job', name: 'migrate', uid: 'j1', controller: true, apiVersion: 'batch/v1' }] },
  { ownerReferences: [{ kind: 'Deployment', name: 'not-controller', controller: false }] },
];
const statuses: Array<Record<string, string>> = [
  {},
  { 'otel-injector.io/status': 'injected: node', 'otel-injector.io/payload-image': IMAGE },
  { 'otel-injector.io/status': 'injected: python', 'otel-injector.io/payload-image': 'registry.example/otel-preload:1' },
  { 'otel-injector.io/status': 'injected: node' },
  { 'otel-injector.io/status': 'skipped: windows pod' },
  { 'otel-injector.io/inject': 'false' },
];

const podArb = fc.record({
  ns: fc.constantFrom('shop', 'bakery'),
  name: fc.constantFrom('p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'),
  owner: fc.nat({ max: owners.length - 1 }),
  status: fc.nat({ max: statuses.length - 1 }),
  restarted: fc.boolean(),
  phase: fc.constantFrom('Pending', 'Running', 'Running', 'Succeeded', 'Failed'),
  deleting: fc.boolean(),
  created: fc.nat({ max: 3 }),
}).map((p): PodView => {
  const annotations = { ...statuses[p.status], ...(p.restarted ? { 'otel-injector.io/restarted-at': '2026-11-26T10:05:00Z' } : {}) };
  return {
    metadata: {
      name: p.name, namespace: p.ns, uid: `${p.ns}-${p.name}-${p.owner}`, creationTimestamp: `2026-11-26T10:0${p.created}:00Z`,
      ...(p.deleting ? { deletionTimestamp: '2026-11-26T11:00:00Z' } : {}), ...owners[p.owner], annotations,
    },
    status: { phase: p.phase },
  };
});

type Op = { put: PodView } | { del: { ns: string; name: string } };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: podArb.map((put) => ({ put })) },
  { weight: 1, arbitrary: fc.record({ ns: fc.constantFrom('shop', 'bakery'), name: fc.constantFrom('p0', 'p1', 'p2', 'p3') }).map((del) => ({ del })) },
);

function restartedOwners(pods: Iterable<PodView>): string[] {
  const keys = new Set<string>();
  for (const pod of pods) {
    if (pod.metadata?.annotations?.['otel-injector.io/restarted-at'] === undefined) continue;
    const owner = ownerOf(pod);
    if (owner.restartable) keys.add(workloadKey(owner));
  }
  return [...keys].sort();
}

t.test('add, update and delete events give the findings of a full recompute, after every event', async (t) => {
  let checked = 0;
  fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
    const index = new FindingsIndex(IMAGE);
    const pods = new Map<string, PodView>();
    for (const op of ops) {
      const key = 'put' in op ? `${op.put.metadata?.namespace}/${op.put.metadata?.name}` : `${op.del.ns}/${op.del.name}`;
      const old = pods.get(key);
      if ('put' in op) pods.set(key, op.put);
      else pods.delete(key);
      if (old !== undefined || 'put' in op) index.apply(old, 'put' in op ? op.put : undefined);
      const expected = findUninstrumented({ pods: pods.values(), payloadImage: IMAGE });
      if (JSON.stringify(index.findings()) !== JSON.stringify(expected)) {
        throw new Error(`after ${JSON.stringify(op)}:\nindex ${JSON.stringify(index.findings())}\nfull  ${JSON.stringify(expected)}`);
      }
      const owners = index.restartedOwners().map(workloadKey).sort();
      if (JSON.stringify(owners) !== JSON.stringify(restartedOwners(pods.values()))) throw new Error(`restarted owners ${owners.join(',')}`);
      checked++;
    }
  }), { numRuns: 300 });
  t.ok(checked > 1000, `${checked} events checked against the full recompute`);
});

t.test('a change no finding shows keeps the same findings and version; a real one rebuilds only its workload', async (t) => {
  const index = new FindingsIndex(IMAGE);
  const labels = { app: 'web', 'pod-template-hash': 'h1' };
  const ownerReferences = [{ kind: 'ReplicaSet', name: 'web-h1', controller: true, apiVersion: 'apps/v1' }];
  const pod = (name: string, phase: string, annotations: Record<string, string> = {}): PodView => ({ metadata: { name, namespace: 'shop', creationTimestamp: '2026-11-26T10:00:00Z', labels, ownerReferences, annotations }, status: { phase } });
  index.apply(undefined, pod('web-h1-a', 'Pending'));
  index.apply(undefined, { metadata: { name: 'other', namespace: 'shop', uid: 'u-other', creationTimestamp: '2026-11-26T10:00:00Z' }, status: { phase: 'Running' } });
  const first = index.findings();
  const version = index.version;
  t.same(first.map((f) => [f.key, f.pods]), [['Deployment/shop/web', ['web-h1-a']], ['Pod/shop/other', ['other']]]);
  index.apply(pod('web-h1-a', 'Pending'), pod('web-h1-a', 'Running'));
  t.equal(index.version, version, 'Pending -> Running changes no finding: no new version');
  t.equal(index.findings(), first, 'and the very same array');
  index.apply(pod('web-h1-a', 'Running'), pod('web-h1-a', 'Running', { 'otel-injector.io/status': 'injected: node', 'otel-injector.io/payload-image': IMAGE }));
  const second = index.findings();
  t.not(second, first);
  t.same(second.map((f) => f.key), ['Pod/shop/other'], 'the pod got instrumented: its workload has no finding left');
  t.equal(second[0], first[1], 'the untouched workload keeps its finding object');
});
