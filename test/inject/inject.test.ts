import t, { type Test } from 'tap';
import { kubeletEnv } from '../support/kubelet-env.js';
import { restrictedViolations, validatePod } from '../support/pod-judge.js';
import { admit, deploymentPod, envOf, restricted, testConfig, type Obj } from '../support/admission.js';

function judge(t: Test, pod: Obj): void {
  t.same(validatePod(pod), [], 'the API server would accept the admitted pod');
}

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

t.test('the user always wins: literal, valueFrom and $(VAR) values are kept as the kubelet computes them', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push(
    { name: 'COLLECTOR', value: 'http://10.0.0.1:4318' },
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: '$(COLLECTOR)' },
    { name: 'OTEL_SERVICE_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
    { name: 'OTEL_PROPAGATORS', value: 'b3' },
  );
  const before = kubeletEnv(pod.spec.containers[0], pod);
  const { pod: after } = admit(pod);
  judge(t, after);
  const env = kubeletEnv(after.spec.containers[0], after);
  for (const [name, value] of before) t.same(env.get(name), value, `${name} unchanged`);
  t.equal(after.spec.containers[0].env.filter((e: Obj) => e.name === 'OTEL_SERVICE_NAME').length, 1, 'no duplicate added');
});

t.test("OTEL_RESOURCE_ATTRIBUTES: the user's keys keep the user's values, missing keys are added", async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({ name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'deployment.environment=prod,k8s.container.name=mine' });
  const { pod: after } = admit(pod);
  judge(t, after);
  const env = kubeletEnv(after.spec.containers[0], after);
  const attributes = String(env.get('OTEL_RESOURCE_ATTRIBUTES'));
  t.ok(attributes.startsWith('deployment.environment=prod,k8s.container.name=mine,'), 'user part first and unchanged');
  t.equal(attributes.split(',').filter((pair) => pair.startsWith('k8s.container.name=')).length, 1);
  t.match(attributes, /k8s\.pod\.name=<fieldRef:metadata\.name>|k8s\.pod\.name=[^$]/, 'downward API variable defined before use');
  t.notOk(attributes.includes('$('));
});

t.test('a user service.name in OTEL_RESOURCE_ATTRIBUTES is not overridden by OTEL_SERVICE_NAME', async (t) => {
  const pod = deploymentPod();
  pod.spec.containers[0].env.push({ name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'service.name=checkout' });
  const { pod: after } = admit(pod);
  t.equal(envOf(after.spec.containers[0]).OTEL_SERVICE_NAME, undefined);
});

t.test('extra env from config is added unless the user set it', async (t) => {
  const config = testConfig({ INJECT_EXTRA_ENV: '{"ENABLE_TRACING":"true","ENABLE_OTEL_METRICS":"true","PORT":"1"}' });
  const { pod } = admit(deploymentPod(), config);
  const env = envOf(pod.spec.containers[0]);
  t.equal(env.ENABLE_TRACING?.value, 'true');
  t.equal(env.ENABLE_OTEL_METRICS?.value, 'true');
  t.equal(env.PORT?.value, '8080', 'user value wins over extra env');
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
