// The image-volume delivery on the admitted pod: the volume, one read-only subPath mount per runtime at the
// path the runtime reads, no init container, restricted still passes; reinvocation; the review's log line.
import t from 'tap';
import { kubeletEnv } from '../support/kubelet-env.js';
import { restrictedViolations } from '../support/pod-judge.js';
import { admit, deploymentPod, restricted, reviewOf, testConfig, type Obj } from '../support/admission.js';
import { testApp } from '../support/app.js';
import { node, snapshot, support } from '../support/delivery.js';
import { judge } from './judge.js';

const DIGEST = 'registry.example.com/otel/payload@sha256:' + 'ab'.repeat(32);
const config = testConfig({ INJECT_DELIVERY: 'image-volume', INJECT_PAYLOAD_IMAGE: DIGEST, INJECT_IMAGE_PULL_POLICY: 'Always' });

t.test('the payload image as a volume, one read-only mount per runtime at the path the runtime reads', async (t) => {
  const { pod, result } = admit(restricted(deploymentPod()), config);
  judge(t, pod);
  t.equal(result.decision, 'injected');
  t.equal(pod.spec.initContainers, undefined, 'no init container');
  t.same(pod.spec.volumes.filter((v: Obj) => v.name.startsWith('otel-injector')), [{ name: 'otel-injector', image: { reference: DIGEST, pullPolicy: 'Always' } }], 'the digest reference as given, the configured pull policy, no emptyDir');
  const app = pod.spec.containers[0];
  t.same(app.volumeMounts.filter((m: Obj) => m.name === 'otel-injector'), [
    { name: 'otel-injector', mountPath: '/otel-injector/node', subPath: 'otel-payload/node', readOnly: true },
    { name: 'otel-injector', mountPath: '/otel-injector/python', subPath: 'otel-payload/python', readOnly: true },
  ]);
  const env = kubeletEnv(app, pod);
  t.equal(env.get('NODE_OPTIONS'), '--require /otel-injector/node/register.cjs', 'node reads <mount>/node: the node folder of the image');
  t.equal(env.get('PYTHONPATH'), '/otel-injector/python');
  t.same(restrictedViolations(pod), [], 'Pod Security restricted passes (image volumes are allowed)');
  t.equal(pod.metadata.annotations['otel-injector.io/payload-image'], DIGEST, 'the payload image is recorded as in init-container mode (outdated detection)');
});

t.test('a pod narrowed to one runtime gets only that mount', async (t) => {
  const pod = deploymentPod();
  pod.metadata.annotations = { ...pod.metadata.annotations, 'otel-injector.io/runtimes': 'python' };
  const { pod: admitted } = admit(pod, config);
  t.same(admitted.spec.containers[0].volumeMounts.filter((m: Obj) => m.name === 'otel-injector').map((m: Obj) => m.mountPath), ['/otel-injector/python']);
  t.equal(admitted.metadata.annotations['otel-injector.io/status'], 'injected: python; delivery: image-volume (configured)');
});

t.test('reinvocation: an injected pod is seen as injected; a container added since gets its mounts, the volume is not added twice', async (t) => {
  const first = admit(deploymentPod(), config).pod;
  const again = admit(first, config);
  t.equal(again.result.reason, 'already injected');
  t.same(again.ops, [], 'nothing changes');
  const unsupported = admit(first, testConfig({ INJECT_DELIVERY: 'auto', INJECT_PAYLOAD_IMAGE: DIGEST }), {}, support(snapshot([node('w3', 'containerd://1.7.2')])));
  t.same(unsupported.ops, [], 'a later decision never switches an injected pod');
  const grown = structuredClone(first);
  grown.spec.containers.push({ name: 'sidecar', image: 'registry.example.com/sidecar:1', env: [] });
  const { pod } = admit(grown, config);
  judge(t, pod);
  t.equal(pod.spec.volumes.filter((v: Obj) => v.image !== undefined).length, 1);
  t.equal(pod.spec.initContainers, undefined);
  t.same(pod.spec.containers[1].volumeMounts.map((m: Obj) => m.mountPath), ['/otel-injector/node', '/otel-injector/python']);
  t.equal(pod.metadata.annotations['otel-injector.io/status'], 'injected: node,python; delivery: image-volume (configured)', 'the delivery of the first pass is kept');
});

t.test('reinvocation of an init-container pod under image-volume config keeps the init container', async (t) => {
  const first = admit(deploymentPod(), testConfig()).pod;
  const grown = structuredClone(first);
  grown.spec.containers.push({ name: 'sidecar', image: 'registry.example.com/sidecar:1' });
  const { pod } = admit(grown, config);
  judge(t, pod);
  t.equal(pod.spec.volumes.filter((v: Obj) => v.image !== undefined).length, 0);
  t.same(pod.spec.containers[1].volumeMounts, [{ name: 'otel-injector', mountPath: '/otel-injector', readOnly: true }]);
});

t.test('a container with its own mount under the mount path is left alone (no duplicate mountPath)', async (t) => {
  const pod = deploymentPod();
  pod.spec.volumes = [{ name: 'mine', emptyDir: {} }];
  pod.spec.containers[0].volumeMounts = [{ name: 'mine', mountPath: '/otel-injector/node' }];
  const { pod: admitted } = admit(pod, config);
  judge(t, admitted);
  t.match(admitted.metadata.annotations['otel-injector.io/status'], /^skipped: api: \/otel-injector\/node is already mounted/);
});

t.test('one log line per review with the delivery and its reason, no pod', async (t) => {
  const snap = { ...snapshot([node('w1'), node('w3', 'containerd://1.7.2')]), observedAt: new Date().toISOString() }; // the app reads the system clock
  const { app, logs, rawLogs } = await testApp({ config: testConfig({ INJECT_DELIVERY: 'auto' }), deliverySupport: () => snap });
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/mutate', payload: reviewOf(deploymentPod()) });
  const lines = logs().filter((line) => line.msg === 'review');
  t.equal(lines.length, 1);
  t.equal(lines[0]?.delivery, 'init-container');
  t.equal(lines[0]?.deliveryReason, 'auto: 1 of 2 candidate nodes lack support, e.g. node w3 runs containerd 1.7.2, image volumes with subPath need 2.2+');
  t.notOk(rawLogs().includes('registry.example.com'), 'no pod spec in the logs');
});

t.test('image-volume and auto refuse a custom init command (another image layout)', async (t) => {
  for (const mode of ['image-volume', 'auto']) {
    t.throws(() => testConfig({ INJECT_DELIVERY: mode, INJECT_INIT_COMMAND: '["/bin/sh","-c","cp -R /x /otel-injector/"]' }), { code: 'CONFIG_INVALID', message: /INJECT_DELIVERY: .*INJECT_INIT_COMMAND/ });
  }
  t.throws(() => testConfig({ INJECT_DELIVERY: 'volume' }), { code: 'CONFIG_INVALID', message: /INJECT_DELIVERY: expected one of init-container, image-volume, auto/ });
});
