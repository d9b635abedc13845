import t from 'tap';
import { imageVersion, podFacts, resourceAttributesOf, serviceNameOf } from '../../src/inject/service.js';
import type { Container, ObjectMeta } from '../../src/inject/types.js';
import { podNameOf, workloadOf } from '../../src/inject/workload.js';
import { testConfig } from '../support/admission.js';

const container: Container = { name: 'app', image: 'node:20' };
const plain = testConfig();
const withLabels = testConfig({ INJECT_USE_WELL_KNOWN_LABELS: 'true' });

function name(meta: ObjectMeta, config = plain): string {
  return serviceNameOf(podFacts(meta, 'ns', config.inject), container);
}

const rs = (owner: string, hash?: string): ObjectMeta => ({
  generateName: `${owner}-`,
  labels: hash === undefined ? {} : { 'pod-template-hash': hash },
  ownerReferences: [{ kind: 'ReplicaSet', name: owner, controller: true }],
});

t.test('service.name follows the semantic conventions order', async (t) => {
  const labels = { 'app.kubernetes.io/instance': 'inst', 'app.kubernetes.io/name': 'nm' };
  const meta: ObjectMeta = { ...rs('web-5c4d', '5c4d'), labels: { ...labels, 'pod-template-hash': '5c4d' } };
  t.equal(name({ ...meta, annotations: { 'resource.opentelemetry.io/service.name': 'annotated', 'otel-injector.io/service-name': 'alias' } }), 'annotated');
  t.equal(name({ ...meta, annotations: { 'otel-injector.io/service-name': 'alias' } }), 'alias', 'our annotation is an alias');
  t.equal(name(meta), 'web', 'labels ignored unless opted in');
  t.equal(name(meta, withLabels), 'inst', 'app.kubernetes.io/instance first when opted in');
  t.equal(name({ ...meta, labels: { 'app.kubernetes.io/name': 'nm', 'pod-template-hash': '5c4d' } }, withLabels), 'nm');
});

t.test('workloads', async (t) => {
  t.equal(name(rs('web-5c4d', '5c4d')), 'web', 'Deployment from ReplicaSet owner + pod-template-hash');
  t.equal(name(rs('web-5c4d')), 'web-5c4d', 'bare ReplicaSet (no hash label)');
  t.equal(name(rs('web-5c4d', 'other')), 'web-5c4d', 'hash that does not match the name');
  const owned = (kind: string, owner: string): ObjectMeta => ({ name: `${owner}-0`, ownerReferences: [{ kind, name: owner, controller: true }] });
  t.equal(name(owned('StatefulSet', 'db')), 'db');
  t.equal(name(owned('DaemonSet', 'agent')), 'agent');
  t.equal(name(owned('Job', 'nightly-29012345')), 'nightly', 'CronJob from its Job name');
  t.equal(name(owned('Job', 'migrate')), 'migrate', 'plain Job');
  t.equal(name(owned('Unknown', 'x')), 'x-0', 'unknown owner: pod name');
  t.equal(name({ generateName: 'debug-' }), 'debug', 'generateName stem');
  t.equal(name({}), 'app', 'container name last');
  t.same(workloadOf(owned('Job', 'nightly-29012345')).attributes, [['k8s.cronjob.name', 'nightly'], ['k8s.job.name', 'nightly-29012345']]);
  t.equal(podNameOf({ name: '', generateName: 'x--' }), 'x');
});

t.test('service.version from annotation, opt-in label, then image tag and digest', async (t) => {
  t.equal(imageVersion('node:20'), '20');
  t.equal(imageVersion('registry:5000/team/app'), undefined, 'a registry port is not a tag');
  t.equal(imageVersion('registry:5000/team/app:1.2'), '1.2');
  t.equal(imageVersion('app:1.2@sha256:abc'), '1.2@sha256:abc');
  t.equal(imageVersion('app@sha256:abc'), 'sha256:abc');
  const version = (meta: ObjectMeta, config = plain): unknown =>
    resourceAttributesOf(podFacts(meta, 'ns', config.inject), container).find((a) => a.key === 'service.version')?.value[0];
  t.equal(version({ annotations: { 'resource.opentelemetry.io/service.version': '9' }, labels: { 'app.kubernetes.io/version': '8' } }), '9');
  t.equal(version({ labels: { 'app.kubernetes.io/version': '8' } }, withLabels), '8');
  t.equal(version({ labels: { 'app.kubernetes.io/version': '8' } }), '20');
});

t.test('service.namespace, service.instance.id and other resource annotations', async (t) => {
  const attrs = (meta: ObjectMeta): Record<string, unknown> =>
    Object.fromEntries(resourceAttributesOf(podFacts(meta, 'shop', plain.inject), container).map((a) => [a.key, a.value]));
  const plainAttrs = attrs({});
  t.same(plainAttrs['service.namespace'], ['shop']);
  t.same(plainAttrs['service.instance.id'], ['shop.', { fieldRef: 'metadata.name' }, '.app']);
  const annotated = attrs({
    annotations: {
      'resource.opentelemetry.io/service.namespace': 'team-a',
      'resource.opentelemetry.io/service.instance.id': 'fixed',
      'resource.opentelemetry.io/deployment.environment.name': 'prod',
      'resource.opentelemetry.io/k8s.container.name': 'renamed',
      'unrelated/annotation': 'x',
    },
  });
  t.same(annotated['service.namespace'], ['team-a']);
  t.same(annotated['service.instance.id'], ['fixed']);
  t.same(annotated['deployment.environment.name'], ['prod']);
  t.same(annotated['k8s.container.name'], ['renamed'], 'an explicit annotation wins over the derived value');
  t.notOk('annotation' in annotated);
});
