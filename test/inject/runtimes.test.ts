// Each runtime's variable (NODE_OPTIONS, PYTHONPATH): composed with what the user set, left to the user when
// it cannot be, and the runtimes a pod gets (configuration, otel-injector.io/runtimes).
import t from 'tap';
import { kubeletEnv } from '../support/kubelet-env.js';
import { admit, deploymentPod, envOf, testConfig, type Obj } from '../support/admission.js';
import { judge } from './judge.js';

t.test('NODE_OPTIONS: a literal is kept and extended; valueFrom leaves node out of that container', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({ name: 'NODE_OPTIONS', value: '--max-old-space-size=200 --enable-source-maps' });
  pod.spec.containers.push({
    name: 'worker',
    image: 'node:20',
    env: [{ name: 'NODE_OPTIONS', valueFrom: { configMapKeyRef: { name: 'node', key: 'options', optional: true } } }],
  });
  const { pod: after, result } = admit(pod);
  judge(t, after);
  t.equal(envOf(after.spec.containers[0]).NODE_OPTIONS?.value, '--max-old-space-size=200 --enable-source-maps --require /otel-injector/node/register.cjs');
  const worker = after.spec.containers[1];
  t.same(worker.env[0], pod.spec.containers[1].env[0], 'the valueFrom entry is untouched');
  t.equal(worker.env.filter((e: Obj) => e.name === 'NODE_OPTIONS').length, 1, 'and nothing composes it');
  t.equal(kubeletEnv(worker, after).get('PYTHONPATH'), '/otel-injector/python', 'python is still switched on there');
  t.equal(result.decision, 'injected');
  t.equal(after.metadata.annotations['otel-injector.io/status'], 'injected: node,python');
  t.equal(after.metadata.annotations['otel-injector.io/skipped-containers'], 'worker: node: NODE_OPTIONS comes from valueFrom');

  const nodeOnly = admit(pod, testConfig({ INJECT_RUNTIMES: 'node' }));
  t.same(nodeOnly.pod.spec.containers[1], pod.spec.containers[1], 'with only node configured the worker is left alone');
  t.equal(nodeOnly.pod.metadata.annotations['otel-injector.io/skipped-containers'], 'worker: node: NODE_OPTIONS comes from valueFrom');
  t.equal(nodeOnly.pod.metadata.annotations['otel-injector.io/status'], 'injected: node');
});

t.test('a container is skipped when every selected runtime is skipped in it', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push(
    { name: 'NODE_OPTIONS', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    { name: 'PYTHONPATH', valueFrom: { configMapKeyRef: { name: 'py', key: 'path' } } },
  );
  const { pod: after, result } = admit(pod);
  t.equal(result.decision, 'skipped');
  t.equal(
    after.metadata.annotations['otel-injector.io/status'],
    'skipped: api: node: NODE_OPTIONS comes from valueFrom; api: python: PYTHONPATH comes from valueFrom',
  );
  t.same(after.spec, pod.spec);

  const single = deploymentPod();
  single.spec.containers[0].env.push({ name: 'NODE_OPTIONS', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } });
  const nodeOnly = admit(single, testConfig({ INJECT_RUNTIMES: 'node' }));
  t.equal(nodeOnly.result.decision, 'skipped');
  t.equal(nodeOnly.pod.metadata.annotations['otel-injector.io/status'], 'skipped: api: node: NODE_OPTIONS comes from valueFrom');
  t.same(nodeOnly.pod.spec, single.spec);
});

t.test('PYTHONPATH: our directory goes first, every user entry is kept in order', async (t) => {
  const cases: Array<[string, string]> = [
    ['/app/src:/app/lib', '/otel-injector/python:/app/src:/app/lib'],
    ['/app/src:', '/otel-injector/python:/app/src:'],
    ['', '/otel-injector/python'],
    [' ', '/otel-injector/python: '],
    ['$(UNDEFINED)/lib', '/otel-injector/python:$(UNDEFINED)/lib'],
  ];
  for (const [user, expected] of cases) {
    const pod = deploymentPod();
    pod.spec.containers[0].env.push({ name: 'PYTHONPATH', value: user });
    const { pod: after } = admit(pod);
    judge(t, after);
    t.equal(kubeletEnv(after.spec.containers[0], after).get('PYTHONPATH'), expected, `${JSON.stringify(user)} -> ${expected}`);
    t.equal(after.spec.containers[0].env.filter((e: Obj) => e.name === 'PYTHONPATH').length, 1, 'extended in place');
    t.same(admit(after).ops, [], 'a second pass does not extend it again');
  }
});

t.test('PYTHONPATH referenced later as $(PYTHONPATH): a later entry composes it, the referencing variable keeps its value', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push(
    { name: 'PYTHONPATH', value: '/app/src' },
    { name: 'TOOL_PATH', value: '$(PYTHONPATH):/tools' },
  );
  const before = kubeletEnv(pod.spec.containers[0], pod);
  const { pod: after } = admit(pod);
  judge(t, after);
  const env = kubeletEnv(after.spec.containers[0], after);
  t.equal(env.get('TOOL_PATH'), before.get('TOOL_PATH'), 'TOOL_PATH still sees the user value');
  t.equal(env.get('PYTHONPATH'), '/otel-injector/python:/app/src');
  const entries = after.spec.containers[0].env.filter((e: Obj) => e.name === 'PYTHONPATH');
  t.same(entries.map((e: Obj) => e.value), ['/app/src', '/otel-injector/python:$(PYTHONPATH)']);
  t.same(admit(after).ops, [], 'reinvocation: the composed entry is recognised, nothing is added');
});

t.test('PYTHONPATH from valueFrom leaves python out of that container, node still goes in', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({ name: 'PYTHONPATH', valueFrom: { configMapKeyRef: { name: 'py', key: 'path', optional: true } } });
  const { pod: after, result } = admit(pod);
  judge(t, after);
  t.equal(result.decision, 'injected');
  t.equal(after.metadata.annotations['otel-injector.io/status'], 'injected: node');
  t.equal(after.metadata.annotations['otel-injector.io/skipped-containers'], 'api: python: PYTHONPATH comes from valueFrom');
  const app = after.spec.containers[0];
  t.same(app.env.filter((e: Obj) => e.name === 'PYTHONPATH'), [pod.spec.containers[0].env.at(-1)], 'the valueFrom entry alone, untouched');
  t.equal(envOf(app).NODE_OPTIONS?.value, '--require /otel-injector/node/register.cjs');

  const again = admit(after);
  t.same(again.ops, [], 'reinvocation changes nothing');
  after.spec.containers.push({ name: 'late', image: 'python:3.12-slim' });
  const withLate = admit(after);
  t.equal(withLate.pod.metadata.annotations['otel-injector.io/status'], 'injected: node,python', 'the status names what the whole pod carries');
  t.equal(withLate.pod.metadata.annotations['otel-injector.io/skipped-containers'], 'api: python: PYTHONPATH comes from valueFrom', 'the earlier reason is kept');
  t.equal(kubeletEnv(withLate.pod.spec.containers[1], withLate.pod).get('PYTHONPATH'), '/otel-injector/python');
});

t.test('on reinvocation the status names the runtimes of the containers injected before, too', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({ name: 'NODE_OPTIONS', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } });
  const first = admit(pod);
  t.equal(first.pod.metadata.annotations['otel-injector.io/status'], 'injected: python');
  first.pod.spec.containers.push({
    name: 'late',
    image: 'node:20',
    env: [{ name: 'PYTHONPATH', valueFrom: { configMapKeyRef: { name: 'py', key: 'path' } } }],
  });
  const second = admit(first.pod);
  t.equal(second.pod.metadata.annotations['otel-injector.io/status'], 'injected: node,python', 'python from api, node from late');
  t.equal(
    second.pod.metadata.annotations['otel-injector.io/skipped-containers'],
    'api: node: NODE_OPTIONS comes from valueFrom; late: python: PYTHONPATH comes from valueFrom',
  );
  t.same(second.ops.filter((op) => op.path.startsWith('/spec/containers/0')), [], 'api is not touched again');
});

t.test("another injector's PYTHONPATH or NODE_OPTIONS leaves only that runtime out", async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({
    name: 'PYTHONPATH',
    value: '/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/otel-auto-instrumentation-python',
  });
  const { pod: after } = admit(pod);
  t.equal(after.metadata.annotations['otel-injector.io/status'], 'injected: node');
  t.equal(after.metadata.annotations['otel-injector.io/skipped-containers'], 'api: python: instrumented by another injector');
  t.equal(envOf(after.spec.containers[0]).PYTHONPATH?.value, pod.spec.containers[0].env.at(-1).value);

  const nodePod = deploymentPod();
  nodePod.spec.containers[0].env.push({ name: 'NODE_OPTIONS', value: '--require /otel-auto-instrumentation-nodejs/autoinstrumentation.js' });
  const { pod: nodeAfter } = admit(nodePod);
  t.equal(nodeAfter.metadata.annotations['otel-injector.io/status'], 'injected: python');
  t.equal(envOf(nodeAfter.spec.containers[0]).NODE_OPTIONS?.value, '--require /otel-auto-instrumentation-nodejs/autoinstrumentation.js');
});

t.test('each runtime touches only its own variable', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({ name: 'NODE_OPTIONS', value: '--enable-source-maps' }, { name: 'PYTHONPATH', value: '/app' });
  const nodeOnly = admit(pod, testConfig({ INJECT_RUNTIMES: 'node' }));
  const nodeEnv = kubeletEnv(nodeOnly.pod.spec.containers[0], nodeOnly.pod);
  t.equal(nodeEnv.get('NODE_OPTIONS'), '--enable-source-maps --require /otel-injector/node/register.cjs');
  t.equal(nodeEnv.get('PYTHONPATH'), '/app', 'node leaves PYTHONPATH alone');
  t.equal(nodeOnly.pod.metadata.annotations['otel-injector.io/status'], 'injected: node');

  const pythonOnly = admit(pod, testConfig({ INJECT_RUNTIMES: 'python' }));
  const pythonEnv = kubeletEnv(pythonOnly.pod.spec.containers[0], pythonOnly.pod);
  t.equal(pythonEnv.get('PYTHONPATH'), '/otel-injector/python:/app');
  t.equal(pythonEnv.get('NODE_OPTIONS'), '--enable-source-maps', 'python leaves NODE_OPTIONS alone');
  t.equal(pythonOnly.pod.metadata.annotations['otel-injector.io/status'], 'injected: python');
  t.equal(pythonOnly.pod.spec.initContainers.length, 1, 'one init container either way');

  const bare = admit(deploymentPod(), testConfig({ INJECT_RUNTIMES: 'python' }));
  t.equal(envOf(bare.pod.spec.containers[0]).NODE_OPTIONS, undefined, 'no NODE_OPTIONS is added for python alone');
});

t.test('otel-injector.io/runtimes narrows the configured runtimes', async (t) => {
  const withAnnotation = (value: string): Obj => {
    const pod = deploymentPod();
    pod.metadata.annotations = { 'otel-injector.io/runtimes': value };
    return pod;
  };
  const cases: Array<[string, string, string[]]> = [
    ['python', 'injected: python', ['PYTHONPATH']],
    ['node', 'injected: node', ['NODE_OPTIONS']],
    ['node,python', 'injected: node,python', ['NODE_OPTIONS', 'PYTHONPATH']],
    [' python , node ', 'injected: node,python', ['NODE_OPTIONS', 'PYTHONPATH']],
    ['node,ruby', 'injected: node', ['NODE_OPTIONS']],
    ['', 'injected: node,python', ['NODE_OPTIONS', 'PYTHONPATH']],
  ];
  for (const [value, status, variables] of cases) {
    const { pod } = admit(withAnnotation(value));
    t.equal(pod.metadata.annotations['otel-injector.io/status'], status, `${JSON.stringify(value)}: ${status}`);
    const env = kubeletEnv(pod.spec.containers[0], pod);
    t.same(['NODE_OPTIONS', 'PYTHONPATH'].filter((name) => env.has(name)), variables, `${JSON.stringify(value)}: ${variables.join(', ')}`);
  }
  const unknown = admit(withAnnotation('ruby'));
  t.equal(unknown.result.decision, 'skipped');
  t.equal(
    unknown.pod.metadata.annotations['otel-injector.io/status'],
    'skipped: otel-injector.io/runtimes "ruby" names no configured runtime (configured: node,python)',
  );
  t.same(unknown.pod.spec, deploymentPod().spec);
  const unconfigured = admit(withAnnotation('python'), testConfig({ INJECT_RUNTIMES: 'node' }));
  t.equal(unconfigured.result.decision, 'skipped', 'the annotation cannot add a runtime the configuration leaves out');
  t.equal(
    unconfigured.pod.metadata.annotations['otel-injector.io/status'],
    'skipped: otel-injector.io/runtimes "python" names no configured runtime (configured: node)',
  );
});
