// The Java runtime's webhook side on real objects: the env list and mounts a container ends up with after the
// injection (planContainer + injectContainer, the functions the webhook runs), and the step-aside reasons.
import t from 'tap';
import { injectContainer, planContainer } from '../../../inject/container.js';
import type { Container } from '../../../inject/types.js';
import { podFacts } from '../../../inject/service.js';
import { admit, deploymentPod, testConfig } from '../../../../test/support/admission.js';
import { kubeletEnv } from '../../../../test/support/kubelet-env.js';
import { validatePod } from '../../../../test/support/pod-judge.js';
import { java, javaagentFlag, javaagents } from '../runtime.js';

const config = testConfig().inject;
const AGENT = '-javaagent:/otel-injector/java/otel-injector-javaagent.jar';
const meta = { generateName: 'orders-7d9f8b6c5d-', labels: { 'pod-template-hash': '7d9f8b6c5d' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'orders-7d9f8b6c5d', uid: 'u1', controller: true }] };
const facts = podFacts(meta, 'shop', config);

function injected(env: Container['env']): Container {
  const container: Container = { name: 'app', image: 'eclipse-temurin:21', ...(env === undefined ? {} : { env }) };
  const plan = planContainer(container, [java], undefined, config);
  if (plan.kind === 'inject') injectContainer(container, facts, () => [{ name: 'otel-injector', mountPath: config.mountPath, readOnly: true }], plan.runtimes, config, () => 'otel-collector');
  return container;
}

const valueOf = (c: Container, name: string): string | undefined => c.env?.filter((e) => e.name === name).at(-1)?.value;

t.test('the entry is the pre-check jar in the mounted java/ folder', async (t) => {
  t.equal(javaagentFlag(config), AGENT);
  t.equal(javaagentFlag(testConfig({ INJECT_MOUNT_PATH: '/opt/otel' }).inject), '-javaagent:/opt/otel/java/otel-injector-javaagent.jar');
});

t.test('a container without JAVA_TOOL_OPTIONS gets the agent, the OTEL_* settings and the read-only mount', async (t) => {
  const c = injected(undefined);
  t.equal(valueOf(c, 'JAVA_TOOL_OPTIONS'), AGENT);
  t.equal(valueOf(c, 'OTEL_EXPORTER_OTLP_PROTOCOL'), 'http/protobuf');
  t.equal(valueOf(c, 'OTEL_EXPORTER_OTLP_ENDPOINT'), config.otlpEndpoint);
  t.equal(valueOf(c, 'OTEL_LOGS_EXPORTER'), 'otlp');
  t.ok((valueOf(c, 'OTEL_SERVICE_NAME') ?? '') !== '', 'a service name');
  t.match(valueOf(c, 'OTEL_RESOURCE_ATTRIBUTES') ?? '', /k8s\.namespace\.name=shop/);
  t.same(c.volumeMounts, [{ name: 'otel-injector', mountPath: '/otel-injector', readOnly: true }]);
});

t.test("the user's options are kept and come first; ours is appended", async (t) => {
  const c = injected([{ name: 'JAVA_TOOL_OPTIONS', value: '-Xmx512m -Dfile.encoding=UTF-8' }]);
  t.equal(valueOf(c, 'JAVA_TOOL_OPTIONS'), `-Xmx512m -Dfile.encoding=UTF-8 ${AGENT}`);
  t.equal(valueOf(injected([{ name: 'JAVA_TOOL_OPTIONS', value: '  ' }]), 'JAVA_TOOL_OPTIONS'), AGENT, 'blank counts as empty');
});

t.test('a later entry referencing $(JAVA_TOOL_OPTIONS) keeps its value: ours is composed after it', async (t) => {
  const c = injected([{ name: 'JAVA_TOOL_OPTIONS', value: '-Xss1m' }, { name: 'COPY', value: '$(JAVA_TOOL_OPTIONS)' }]);
  t.same(c.env?.filter((e) => e.name === 'JAVA_TOOL_OPTIONS').map((e) => e.value), ['-Xss1m', `$(JAVA_TOOL_OPTIONS) ${AGENT}`]);
});

t.test('loaded: an earlier pass (or the same flag by hand) is recognised, nothing is added twice', async (t) => {
  t.equal(java.loaded(`-Xmx1g ${AGENT}`, config), true);
  t.equal(java.loaded(`-Xmx1g ${AGENT}=debug`, config), true, 'agent options after = still ours');
  t.equal(java.loaded('-javaagent:/otel-injector/java/opentelemetry-javaagent.jar', config), true, 'the upstream jar of our mount named by hand');
  t.equal(java.loaded('-javaagent:/elsewhere/opentelemetry-javaagent.jar', config), false);
  const plan = planContainer({ name: 'app', env: [{ name: 'JAVA_TOOL_OPTIONS', value: AGENT }] }, [java], undefined, config);
  t.equal(plan.kind, 'already');
  t.same(plan.runtimes.map((r) => r.name), ['java']);
});

t.test('another agent in JAVA_TOOL_OPTIONS: the runtime steps aside with a reason, the variable untouched', async (t) => {
  const operator = '-javaagent:/otel-auto-instrumentation-java/javaagent.jar';
  t.equal(java.foreign(operator), 'instrumented by another injector');
  t.match(java.foreign('-Xmx1g -javaagent:/opt/dd-java-agent.jar=service=x'), /already loads a -javaagent/);
  t.equal(java.foreign('-Xmx1g -Dx=-javaagent:y'), undefined, 'only a whole -javaagent option counts');
  t.equal(java.foreign('-agentlib:jdwp=transport=dt_socket'), undefined, 'a native agent (debugger) is not an instrumenting agent');
  const plan = planContainer({ name: 'app', env: [{ name: 'JAVA_TOOL_OPTIONS', value: operator }] }, [java], undefined, config);
  t.equal(plan.kind, 'skip');
  t.same(plan.skips, ['java: instrumented by another injector']);
  t.equal(valueOf(injected([{ name: 'JAVA_TOOL_OPTIONS', value: operator }]), 'JAVA_TOOL_OPTIONS'), operator);
});

t.test('JAVA_TOOL_OPTIONS from valueFrom: skipped with the reason', async (t) => {
  const plan = planContainer({ name: 'app', env: [{ name: 'JAVA_TOOL_OPTIONS', valueFrom: { configMapKeyRef: { name: 'jvm', key: 'opts' } } }] }, [java], undefined, config);
  t.equal(plan.kind, 'skip');
  t.same(plan.skips, ['java: JAVA_TOOL_OPTIONS comes from valueFrom']);
});

t.test('javaagents lists every agent jar, options dropped', async (t) => {
  t.same(javaagents('-javaagent:/a.jar=x=1 -Xmx1g\t-javaagent:/b.jar'), ['/a.jar', '/b.jar']);
  t.same(javaagents(''), []);
});

t.test('through the webhook (admit): java is opt-in; switched on, the pod gets the agent, the status lists java, the init container copies java/ only for pods that get it', async (t) => {
  t.same(testConfig().inject.runtimes, ['node', 'python'], 'not on by default');
  const config = testConfig({ INJECT_RUNTIMES: 'node,python,java' });
  const { pod } = admit(deploymentPod(), config);
  t.same(validatePod(pod), [], 'the pod stays valid');
  t.equal(pod.metadata.annotations['otel-injector.io/status'], 'injected: node,python,java');
  t.equal(kubeletEnv(pod.spec.containers[0], pod).get('JAVA_TOOL_OPTIONS'), AGENT);
  t.same(pod.spec.initContainers.at(-1).command, ['/bin/cp', '-R', '/otel-payload/node', '/otel-payload/python', '/otel-payload/java', '/otel-injector/']);
  const onlyJava = deploymentPod();
  onlyJava.metadata.annotations = { ...(onlyJava.metadata.annotations ?? {}), 'otel-injector.io/runtimes': 'java' };
  const admitted = admit(onlyJava, config).pod;
  t.same(admitted.spec.initContainers.at(-1).command, ['/bin/cp', '-R', '/otel-payload/java', '/otel-injector/'], 'a java-only pod copies java/ alone');
  t.equal(kubeletEnv(admitted.spec.containers[0], admitted).get('NODE_OPTIONS'), undefined);
  t.same(admit(admitted, config).ops, [], 'a second pass is a no-op');
  const operator = deploymentPod();
  operator.spec.containers[0].env = [{ name: 'JAVA_TOOL_OPTIONS', value: '-javaagent:/otel-auto-instrumentation-java/javaagent.jar' }];
  const stepped = admit(operator, config).pod;
  t.equal(stepped.metadata.annotations['otel-injector.io/status'], 'injected: node,python', 'java left out');
  t.match(stepped.metadata.annotations['otel-injector.io/skipped-containers'], /java: instrumented by another injector/);
  t.equal(kubeletEnv(stepped.spec.containers[0], stepped).get('JAVA_TOOL_OPTIONS'), '-javaagent:/otel-auto-instrumentation-java/javaagent.jar', 'untouched');
});

t.test('JAVA_TOOL_OPTIONS cannot be forced by INJECT_OVERRIDE_ENV (it is the injection itself)', async (t) => {
  t.throws(() => testConfig({ INJECT_OVERRIDE_ENV: '{"JAVA_TOOL_OPTIONS":"-Xmx1g"}' }), /JAVA_TOOL_OPTIONS/);
});
