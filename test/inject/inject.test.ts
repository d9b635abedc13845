import t from 'tap';
import { kubeletEnv } from '../support/kubelet-env.js';
import { restrictedViolations } from '../support/pod-judge.js';
import { admit, deploymentPod, envOf, restricted, testConfig, type Obj } from '../support/admission.js';
import { judge } from './judge.js';

t.test('a Deployment pod is injected and stays valid', async (t) => {
  const { pod, result } = admit(deploymentPod());
  judge(t, pod);
  t.equal(result.decision, 'injected');
  t.equal(pod.metadata.annotations['otel-injector.io/status'], 'injected: node,python', 'status names the runtimes');
  t.equal(pod.metadata.annotations['otel-injector.io/skipped-containers'], undefined);
  t.equal(pod.metadata.annotations['otel-injector.io/payload-image'], pod.spec.initContainers.at(-1).image, 'the payload image it got is recorded (the controller finds outdated pods by it)');

  const init = pod.spec.initContainers.at(-1);
  t.equal(init.name, 'otel-injector');
  t.equal(init.image, 'ghcr.io/otel-injector/payload:0.1.0');
  t.same(init.command, ['/bin/cp', '-R', '/otel-payload/node', '/otel-payload/python', '/otel-injector/'], 'copies the folders of the runtimes the pod gets');
  t.same(init.volumeMounts, [{ name: 'otel-injector', mountPath: '/otel-injector' }]);
  t.same(init.resources, { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
  t.same(pod.spec.volumes.at(-1), { name: 'otel-injector', emptyDir: { sizeLimit: '64Mi' } });

  const app = pod.spec.containers[0];
  t.same(app.volumeMounts.at(-1), { name: 'otel-injector', mountPath: '/otel-injector', readOnly: true });
  const env = kubeletEnv(app, pod);
  t.equal(env.get('NODE_OPTIONS'), '--require /otel-injector/node/register.cjs');
  t.equal(env.get('PYTHONPATH'), '/otel-injector/python');
  t.equal(env.get('OTEL_SERVICE_NAME'), 'orders-api');
  t.equal(env.get('OTEL_EXPORTER_OTLP_ENDPOINT'), 'http://signoz-otel-collector.signoz.svc.cluster.local:4318');
  t.equal(env.get('OTEL_EXPORTER_OTLP_PROTOCOL'), 'http/protobuf');
  for (const signal of ['TRACES', 'METRICS', 'LOGS']) t.equal(env.get(`OTEL_${signal}_EXPORTER`), 'otlp');
  t.equal(env.get('OTEL_PROPAGATORS'), 'tracecontext,baggage');
  t.equal(env.get('PORT'), '8080', 'user env untouched');

  const attributes = String(env.get('OTEL_RESOURCE_ATTRIBUTES'));
  const parsed = Object.fromEntries(attributes.split(',').map((pair) => pair.split('=')));
  t.equal(parsed['k8s.namespace.name'], 'bakery-ia', 'namespace comes from request.namespace');
  t.match(parsed['k8s.pod.name'], /fieldRef:metadata\.name|metadata\.name/, 'pod name resolved through the downward API');
  t.match(parsed['k8s.pod.uid'], /metadata\.uid/);
  t.match(parsed['k8s.node.name'], /spec\.nodeName/);
  t.equal(parsed['k8s.container.name'], 'api');
  t.equal(parsed['k8s.deployment.name'], 'orders-api');
  t.equal(parsed['k8s.replicaset.name'], 'orders-api-7d9f8b6c5d');
  t.equal(parsed['service.namespace'], 'bakery-ia');
  t.equal(parsed['service.version'], '1.4.2');
  t.notOk(attributes.includes('$('), 'every $(VAR) reference resolves to a variable defined before it');
});

t.test('a restricted pod stays restricted, and the init container passes restricted on its own', async (t) => {
  const { pod } = admit(restricted(deploymentPod()));
  judge(t, pod);
  t.same(restrictedViolations(pod), []);
  const bare = deploymentPod();
  const { pod: injected } = admit(bare);
  const onlyInit = { ...injected, spec: { ...injected.spec, containers: [], initContainers: [injected.spec.initContainers.at(-1)] } };
  t.same(restrictedViolations(onlyInit), [], 'our init container alone violates nothing');
});

t.test('opt-out annotation leaves the pod untouched', async (t) => {
  const pod = deploymentPod();
  pod.metadata.annotations = { 'otel-injector.io/inject': 'false' };
  const { ops, result } = admit(pod);
  t.same(ops, []);
  t.equal(result.decision, 'bypassed');
});

t.test('a second pass adds nothing (reinvocation)', async (t) => {
  const first = admit(deploymentPod());
  const second = admit(first.pod);
  t.same(second.ops, []);
  t.equal(second.result.reason, 'already injected');
});

t.test('a container added by another webhook after us is covered on reinvocation, nothing doubled', async (t) => {
  const first = admit(deploymentPod());
  first.pod.spec.containers.push({ name: 'worker', image: 'node:20' });
  const second = admit(first.pod);
  judge(t, second.pod);
  t.equal(second.pod.spec.initContainers.length, 1, 'one init container');
  t.equal(second.pod.spec.volumes.length, 2, 'one payload volume');
  const worker = second.pod.spec.containers[1];
  t.equal(envOf(worker).NODE_OPTIONS?.value, '--require /otel-injector/node/register.cjs');
  t.same(second.ops.filter((op) => op.path.startsWith('/spec/containers/0')), [], 'the first container is not touched again');
  t.same(admit(second.pod).ops, [], 'and a third pass is a no-op');
});

t.test('container-names annotation selects containers; user init containers keep their order', async (t) => {
  const pod = deploymentPod();
  pod.metadata.annotations = { 'otel-injector.io/container-names': 'api' };
  pod.spec.containers.push({ name: 'envoy', image: 'envoy:1.30' });
  pod.spec.initContainers = [
    { name: 'migrate', image: 'migrate:1' },
    { name: 'wait-for-db', image: 'busybox:1.36' },
  ];
  const { pod: after } = admit(pod);
  judge(t, after);
  t.same(after.spec.initContainers.map((c: Obj) => c.name), ['migrate', 'wait-for-db', 'otel-injector']);
  t.same(after.spec.initContainers.slice(0, 2), pod.spec.initContainers, 'user init containers untouched');
  t.same(after.spec.containers[1], pod.spec.containers[1], 'unselected container untouched');
  t.ok(envOf(after.spec.containers[0]).NODE_OPTIONS);
});

t.test('a selection matching nothing is skipped, with the reason in the status annotation', async (t) => {
  const pod = deploymentPod();
  pod.metadata.annotations = { 'otel-injector.io/container-names': 'nope' };
  const { pod: after, result } = admit(pod);
  t.equal(result.decision, 'skipped');
  t.match(after.metadata.annotations['otel-injector.io/status'], /^skipped: no container selected/);
  t.equal(after.metadata.annotations['otel-injector.io/payload-image'], undefined, 'only an injected pod names a preload');
  t.same(after.spec, pod.spec);
});

t.test('names are unique against what the pod already has', async (t) => {
  const pod = deploymentPod();
  pod.spec.volumes.push({ name: 'otel-injector', configMap: { name: 'x' } }, { name: 'otel-auto-instrumentation', emptyDir: {} });
  pod.spec.initContainers = [{ name: 'otel-injector', image: 'someone/else:1' }];
  const { pod: after } = admit(pod);
  judge(t, after);
  const init = after.spec.initContainers.at(-1);
  t.equal(init.name, 'otel-injector-2');
  t.equal(init.volumeMounts[0].name, 'otel-injector-2');
  t.equal(after.spec.containers[0].volumeMounts.at(-1).name, 'otel-injector-2');
  t.same(admit(after).ops, [], 'idempotent with renamed parts too');
});

t.test('owner kinds skipped by configuration', async (t) => {
  const config = testConfig({ INJECT_SKIP_OWNER_KINDS: 'Job' });
  const pod = deploymentPod();
  pod.metadata.ownerReferences = [{ apiVersion: 'batch/v1', kind: 'Job', name: 'nightly-29012345', uid: 'u', controller: true }];
  const { pod: after, result } = admit(pod, config);
  t.equal(result.decision, 'skipped');
  t.equal(after.metadata.annotations['otel-injector.io/status'], 'skipped: owner kind Job is skipped by configuration');
  t.same(after.spec, pod.spec);
});

t.test('windows pods are skipped', async (t) => {
  const pod = deploymentPod();
  pod.spec.os = { name: 'windows' };
  t.equal(admit(pod).result.reason, 'windows pod');
});

t.test('annotation values cannot smuggle $(VAR) expansions into env', async (t) => {
  const pod = deploymentPod();
  pod.metadata.annotations = {
    'resource.opentelemetry.io/service.name': 'svc-$(DB_PASSWORD)',
    'resource.opentelemetry.io/team': 'a,b=$(DB_PASSWORD)',
  };
  const { pod: after } = admit(pod);
  judge(t, after);
  const env = kubeletEnv(after.spec.containers[0], after);
  t.equal(env.get('OTEL_SERVICE_NAME'), 'svc-$(DB_PASSWORD)');
  t.notOk(String(env.get('OTEL_RESOURCE_ATTRIBUTES')).includes('secretKeyRef'));
  t.match(String(env.get('OTEL_RESOURCE_ATTRIBUTES')), /team=a%2Cb%3D%24\(DB_PASSWORD\)/);
});

t.test('a container already carrying something at the mount path is left alone', async (t) => {
  const pod = deploymentPod();
  pod.spec.volumes.push({ name: 'mine', emptyDir: {} });
  pod.spec.containers[0].volumeMounts.push({ name: 'mine', mountPath: '/otel-injector' });
  const { pod: after, result } = admit(pod);
  judge(t, after);
  t.equal(result.decision, 'skipped');
  t.match(after.metadata.annotations['otel-injector.io/status'], /already mounted/);
});

t.test('config changes what is injected', async (t) => {
  const config = testConfig({
    INJECT_PAYLOAD_IMAGE: 'registry.local/payload:9',
    INJECT_MOUNT_PATH: '/opt/otel',
    INJECT_OTLP_ENDPOINT: 'http://collector:4318',
    INJECT_VOLUME_SIZE_LIMIT: '32Mi',
    INJECT_INIT_RUN_AS_USER: '1001',
  });
  const { pod } = admit(deploymentPod(), config);
  judge(t, pod);
  const init = pod.spec.initContainers.at(-1);
  t.equal(init.image, 'registry.local/payload:9');
  t.equal(init.securityContext.runAsUser, 1001);
  t.equal(pod.spec.volumes.at(-1).emptyDir.sizeLimit, '32Mi');
  const env = envOf(pod.spec.containers[0]);
  t.equal(env.NODE_OPTIONS?.value, '--require /opt/otel/node/register.cjs');
  t.equal(env.PYTHONPATH?.value, '/opt/otel/python');
  t.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT?.value, 'http://collector:4318');
});
