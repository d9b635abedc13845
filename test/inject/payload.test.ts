// The payload volume: one folder per runtime, and an init container that copies only the folders of the
// runtimes the pod gets; pods injected by a release before that layout still count as injected.
import t from 'tap';
import { kubeletEnv } from '../support/kubelet-env.js';
import { admit, deploymentPod, envOf, testConfig, type Obj } from '../support/admission.js';
import { validatePod } from '../support/pod-judge.js';

const withRuntimes = (value: string, pod: Obj = deploymentPod()): Obj => {
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), 'otel-injector.io/runtimes': value };
  return pod;
};
const initOf = (pod: Obj): Obj => pod.spec.initContainers.at(-1);

t.test('the init container copies the folders of the runtimes the pod gets, and only those', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['python', ['/otel-payload/python']],
    ['node', ['/otel-payload/node']],
    ['node,python', ['/otel-payload/node', '/otel-payload/python']],
  ];
  for (const [runtimes, sources] of cases) {
    const { pod } = admit(withRuntimes(runtimes));
    t.same(validatePod(pod), [], `${runtimes}: the pod stays valid`);
    t.same(initOf(pod).command, ['/bin/cp', '-R', ...sources, '/otel-injector/'], `${runtimes}: copies ${sources.join(' ')}`);
  }
  const mounted = admit(deploymentPod(), testConfig({ INJECT_MOUNT_PATH: '/opt/otel' })).pod;
  t.same(initOf(mounted).command, ['/bin/cp', '-R', '/otel-payload/node', '/otel-payload/python', '/opt/otel/'], 'into the configured mount path');
  t.equal(kubeletEnv(mounted.spec.containers[0], mounted).get('NODE_OPTIONS'), '--require /opt/otel/node/register.cjs');
  t.equal(kubeletEnv(mounted.spec.containers[0], mounted).get('PYTHONPATH'), '/opt/otel/python');
});

t.test('a configured init command is used as it is, for every pod', async (t) => {
  const config = testConfig({ INJECT_INIT_COMMAND: '["/busybox/cp","-R","/p/.","/otel-injector/"]' });
  const { pod } = admit(withRuntimes('python'), config);
  t.same(initOf(pod).command, ['/busybox/cp', '-R', '/p/.', '/otel-injector/']);
});

t.test('a reinvocation that adds a runtime makes the same init container copy its folder too', async (t) => {
  const first = admit(withRuntimes('python'));
  // Another webhook adds a container after us; the pod's runtimes now include node (annotation widened by it).
  first.pod.metadata.annotations['otel-injector.io/runtimes'] = 'node,python';
  first.pod.spec.containers.push({ name: 'worker', image: 'node:24', env: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=256' }] });
  const second = admit(first.pod);
  t.same(validatePod(second.pod), [], 'valid');
  t.equal(second.pod.spec.initContainers.length, 1, 'still one init container');
  t.same(initOf(second.pod).command, ['/bin/cp', '-R', '/otel-payload/python', '/otel-payload/node', '/otel-injector/'], 'it copies node/ as well now');
  t.equal(envOf(second.pod.spec.containers[1]).NODE_OPTIONS?.value, '--max-old-space-size=256 --require /otel-injector/node/register.cjs');
  t.same(admit(second.pod).ops, [], 'a third pass is a no-op');
});

/** A pod as a release before the one-folder-per-runtime layout injected it. */
function legacyInjected(): Obj {
  const pod = deploymentPod();
  pod.metadata.annotations = { 'otel-injector.io/status': 'injected: node', 'otel-injector.io/preload': 'ghcr.io/otel-injector/preload:0.0.9' };
  pod.spec.volumes = [...(pod.spec.volumes ?? []), { name: 'otel-injector', emptyDir: { sizeLimit: '64Mi' } }];
  pod.spec.initContainers = [{
    name: 'otel-injector',
    image: 'ghcr.io/otel-injector/preload:0.0.9',
    command: ['/bin/cp', '-R', '/otel-preload/.', '/otel-injector/'],
    volumeMounts: [{ name: 'otel-injector', mountPath: '/otel-injector' }],
  }];
  const app = pod.spec.containers[0];
  app.env = [...(app.env ?? []), { name: 'NODE_OPTIONS', value: '--require /otel-injector/register.cjs' }];
  app.volumeMounts = [...(app.volumeMounts ?? []), { name: 'otel-injector', mountPath: '/otel-injector', readOnly: true }];
  return pod;
}

t.test('a pod injected before the layout change counts as injected and is left as it is', async (t) => {
  const { pod, ops, result } = admit(legacyInjected());
  t.same(ops, [], 'no change at all');
  t.equal(result.reason, 'already injected');
  t.equal(pod.spec.containers[0].env.find((e: Obj) => e.name === 'NODE_OPTIONS').value, '--require /otel-injector/register.cjs');
});

t.test('a container added to such a pod is not given an entry its old volume lacks', async (t) => {
  const pod = legacyInjected();
  pod.spec.containers.push({ name: 'worker', image: 'node:24' });
  const { ops, result } = admit(pod);
  t.same(ops, [], 'nothing is changed: the old init container copies another layout');
  t.equal(result.decision, 'skipped');
  t.match(result.reason, /earlier release of the injector/);
});
