// The owner rules on the names the Kubernetes controllers really make: the Deployment controller names a
// ReplicaSet `<deployment>-<pod-template-hash>` (hash: rand.SafeEncodeString of the template's FNV hash,
// also the pods' pod-template-hash label), the ReplicaSet's pods `<replicaset>-<5 random>`; the CronJob
// controller names a Job `<cronjob>-<scheduled time in minutes since the epoch>` (seconds before
// Kubernetes 1.21), its pods `<job>-<5 random>`; StatefulSet pods are `<statefulset>-<ordinal>`.
import t from 'tap';
import { cronJobJobName, cronJobOfJob, deploymentOfReplicaSet, ownerOf, replicaSetName, type OwnedMeta, type OwnerReference, type PodOwner } from '../../../src/k8s/contract/owner.js';
import { workloadOf } from '../../../src/inject/workload.js';
import { ownerOf as controllerOwnerOf } from '../../../src/controller/classify.js';
import { workloadLabel } from '../../../src/cli/pod-state.js';
import { admittedPod } from '../../../src/cli/workloads.js';

const ref = (kind: string, name: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ kind, name, uid: `uid-${name}`, controller: true, ...extra });

interface Row {
  readonly why: string;
  readonly meta: OwnedMeta;
  readonly owner: Pick<PodOwner, 'kind' | 'name'> & Partial<PodOwner>;
}

// 2026-12-07T16:00Z is minute 29,944,320 after the epoch (the v2 controller's suffix), second 1,796,659,200 (the v1 controller's).
const TABLE: readonly Row[] = [
  {
    why: 'Deployment: ReplicaSet <deploy>-<hash>, the pods carry the same pod-template-hash',
    meta: { name: 'checkout-5d8c9f7b6d-x2vqz', labels: { app: 'checkout', 'pod-template-hash': '5d8c9f7b6d' }, ownerReferences: [ref('ReplicaSet', 'checkout-5d8c9f7b6d', { apiVersion: 'apps/v1' })] },
    owner: { kind: 'Deployment', name: 'checkout', apiVersion: 'apps/v1', uid: undefined, via: { kind: 'ReplicaSet', name: 'checkout-5d8c9f7b6d', uid: 'uid-checkout-5d8c9f7b6d' } },
  },
  {
    why: 'Deployment whose own name ends in something hash-like: only the last segment is the hash',
    meta: { name: 'api-v2-7b9c5-6f4d8c7b9-abcde', labels: { 'pod-template-hash': '6f4d8c7b9' }, ownerReferences: [ref('ReplicaSet', 'api-v2-7b9c5-6f4d8c7b9')] },
    owner: { kind: 'Deployment', name: 'api-v2-7b9c5' },
  },
  {
    why: 'ReplicaSet made by hand (no pod-template-hash): the ReplicaSet itself, though its name looks like <name>-<hash>',
    meta: { name: 'cache-6b7f9d8c5-q8w7e', labels: { app: 'cache' }, ownerReferences: [ref('ReplicaSet', 'cache-6b7f9d8c5', { apiVersion: 'apps/v1' })] },
    owner: { kind: 'ReplicaSet', name: 'cache-6b7f9d8c5', apiVersion: 'apps/v1', uid: 'uid-cache-6b7f9d8c5', via: undefined },
  },
  {
    why: 'ReplicaSet whose pods carry a pod-template-hash that is not its name\'s suffix: the ReplicaSet',
    meta: { name: 'handmade-x', labels: { 'pod-template-hash': '5d8c9f7b6d' }, ownerReferences: [ref('ReplicaSet', 'handmade')] },
    owner: { kind: 'ReplicaSet', name: 'handmade', apiVersion: 'apps/v1' },
  },
  {
    why: 'ReplicaSet named exactly like the hash: no Deployment name is left, the ReplicaSet',
    meta: { labels: { 'pod-template-hash': 'abc' }, ownerReferences: [ref('ReplicaSet', '-abc')] },
    owner: { kind: 'ReplicaSet', name: '-abc' },
  },
  {
    why: 'CronJob: Job <cronjob>-<minutes since the epoch> (CronJob controller v2)',
    meta: { name: 'nightly-report-29944320-7xk2p', labels: { 'batch.kubernetes.io/job-name': 'nightly-report-29944320' }, ownerReferences: [ref('Job', 'nightly-report-29944320', { apiVersion: 'batch/v1' })] },
    owner: { kind: 'CronJob', name: 'nightly-report', apiVersion: 'batch/v1', uid: undefined, via: { kind: 'Job', name: 'nightly-report-29944320', uid: 'uid-nightly-report-29944320' } },
  },
  {
    why: 'CronJob: Job <cronjob>-<seconds since the epoch> (the v1 controller before Kubernetes 1.21)',
    meta: { ownerReferences: [ref('Job', 'backup-1796659200')] },
    owner: { kind: 'CronJob', name: 'backup' },
  },
  {
    why: 'Job of its own',
    meta: { name: 'migrate-4kq9z', ownerReferences: [ref('Job', 'migrate', { apiVersion: 'batch/v1' })] },
    owner: { kind: 'Job', name: 'migrate', apiVersion: 'batch/v1', uid: 'uid-migrate', via: undefined },
  },
  {
    why: 'Job named after a date (YYYYMMDD, 8 digits): not a scheduled time any CronJob made, a Job of its own',
    meta: { ownerReferences: [ref('Job', 'backup-20261207')] },
    owner: { kind: 'Job', name: 'backup-20261207', apiVersion: 'batch/v1' },
  },
  {
    why: 'Job with a short number (a build number): a Job of its own',
    meta: { ownerReferences: [ref('Job', 'build-1234567')] },
    owner: { kind: 'Job', name: 'build-1234567' },
  },
  {
    why: 'StatefulSet: <statefulset>-<ordinal>, the owner reference names it',
    meta: { name: 'ledger-0', ownerReferences: [ref('StatefulSet', 'ledger', { apiVersion: 'apps/v1' })] },
    owner: { kind: 'StatefulSet', name: 'ledger', apiVersion: 'apps/v1', uid: 'uid-ledger', via: undefined },
  },
  {
    why: 'StatefulSet whose name ends in a hash-like segment: its name as it is',
    meta: { name: 'kafka-5d8c9f7b6d-0', labels: { 'pod-template-hash': '5d8c9f7b6d' }, ownerReferences: [ref('StatefulSet', 'kafka-5d8c9f7b6d')] },
    owner: { kind: 'StatefulSet', name: 'kafka-5d8c9f7b6d' },
  },
  {
    why: 'DaemonSet',
    meta: { name: 'agent-7qzxd', labels: { 'controller-revision-hash': '6c5d7f8b9' }, ownerReferences: [ref('DaemonSet', 'agent', { apiVersion: 'apps/v1' })] },
    owner: { kind: 'DaemonSet', name: 'agent', apiVersion: 'apps/v1', uid: 'uid-agent' },
  },
  {
    why: 'bare pod: no owner reference',
    meta: { name: 'debug', uid: 'pod-uid' },
    owner: { kind: 'Pod', name: 'debug', apiVersion: 'v1', uid: 'pod-uid', via: undefined },
  },
  {
    why: 'bare pod: an owner reference that is not the controller (a garbage-collection parent) does not make an owner',
    meta: { name: 'scratch', ownerReferences: [{ kind: 'ConfigMap', name: 'parent', controller: false }, { kind: 'ReplicaSet', name: 'x-5d8c9f7b6d' }] },
    owner: { kind: 'Pod', name: 'scratch' },
  },
  {
    why: 'the controller reference wins over other owner references listed before it',
    meta: { name: 'w-1', ownerReferences: [{ kind: 'Secret', name: 'other' }, ref('StatefulSet', 'w')] },
    owner: { kind: 'StatefulSet', name: 'w' },
  },
  {
    why: 'another controller (an operator\'s kind): that controller',
    meta: { name: 'canary-1', ownerReferences: [ref('Rollout', 'canary', { apiVersion: 'argoproj.io/v1alpha1' })] },
    owner: { kind: 'Rollout', name: 'canary', apiVersion: 'argoproj.io/v1alpha1' },
  },
];

t.test('owner rules on the real controllers\' naming', async (t) => {
  for (const row of TABLE) t.match(ownerOf(row.meta), row.owner, row.why);
});

t.test('the webhook, the controller and the CLI read the same owner', async (t) => {
  for (const row of TABLE) {
    const owner = ownerOf(row.meta);
    t.equal(workloadLabel({ metadata: row.meta as never }), `${owner.kind}/${owner.name}`, `CLI: ${row.why}`);
    const ctl = controllerOwnerOf({ metadata: { ...row.meta, namespace: 'shop' } as never });
    t.same([ctl.kind, ctl.name, ctl.namespace], [owner.kind, owner.name, 'shop'], `controller: ${row.why}`);
    t.equal(ctl.restartable, ['Deployment', 'StatefulSet', 'DaemonSet'].includes(owner.kind), `controller restarts only Deployments, StatefulSets, DaemonSets: ${row.why}`);
    const workload = workloadOf(row.meta as never);
    const named = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job'].includes(owner.kind);
    t.same([workload.kind, workload.name], named ? [owner.kind, owner.name] : [undefined, undefined], `webhook: ${row.why}`);
  }
});

t.test('the webhook names the intermediate controller too (k8s.replicaset.name, k8s.job.name)', async (t) => {
  const [deployment, , , , , cronJob] = TABLE;
  t.same(workloadOf(deployment!.meta as never).attributes, [['k8s.deployment.name', 'checkout'], ['k8s.replicaset.name', 'checkout-5d8c9f7b6d']]);
  t.same(workloadOf(cronJob!.meta as never).attributes, [['k8s.cronjob.name', 'nightly-report'], ['k8s.job.name', 'nightly-report-29944320']]);
});

t.test('the name rules on their own', async (t) => {
  t.equal(deploymentOfReplicaSet('web-5d8c9f7b6d', { 'pod-template-hash': '5d8c9f7b6d' }), 'web');
  t.equal(deploymentOfReplicaSet('web-5d8c9f7b6d', { 'pod-template-hash': '' }), undefined, 'an empty hash names nothing');
  t.equal(deploymentOfReplicaSet('web-5d8c9f7b6d', undefined), undefined, 'no label: not a Deployment\'s');
  t.equal(cronJobOfJob('report-24000000'), 'report', 'the first plausible minute');
  t.equal(cronJobOfJob('report-23999999'), undefined, 'one before it: a number a person chose');
  t.equal(cronJobOfJob('report-29944320-retry'), undefined, 'the time must end the name');
  t.equal(cronJobOfJob('29944320'), undefined, 'a bare number names no CronJob');
});

t.test('the names the controllers make read back as their workload', async (t) => {
  const now = new Date('2026-12-07T16:00:00Z');
  t.equal(cronJobJobName('nightly', now), 'nightly-29944320');
  t.equal(cronJobOfJob(cronJobJobName('nightly', now)), 'nightly');
  t.equal(replicaSetName('web', '5d8c9f7b6d'), 'web-5d8c9f7b6d');
  t.equal(deploymentOfReplicaSet(replicaSetName('web', '5d8c9f7b6d'), { 'pod-template-hash': '5d8c9f7b6d' }), 'web');
  // the pods `otel-injector preview` builds from manifests, as each controller would create them
  const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'node:24' }] } };
  const manifests: ReadonlyArray<[string, Record<string, unknown>]> = [
    ['Deployment', { spec: { template } }],
    ['ReplicaSet', { spec: { template } }],
    ['StatefulSet', { spec: { template } }],
    ['DaemonSet', { spec: { template } }],
    ['Job', { spec: { template } }],
    ['CronJob', { spec: { jobTemplate: { spec: { template } } } }],
  ];
  for (const [kind, rest] of manifests) {
    const admitted = admittedPod({ source: 'test.yaml', object: { apiVersion: 'apps/v1', kind, metadata: { name: 'shop-api' }, ...rest } }, { namespace: 'shop', now });
    if (admitted.type !== 'workload') {
      t.fail(`${kind}: ${admitted.reason}`);
      continue;
    }
    const meta = (admitted.pod as { metadata: OwnedMeta }).metadata;
    t.match(ownerOf(meta), { kind, name: 'shop-api' }, `${kind}: the preview's pod is owned by the ${kind}`);
  }
});
