// The user's environment wins: values the user set are kept as the kubelet computes them, resource attributes
// and extra env from configuration only fill what is missing.
import t from 'tap';
import { kubeletEnv } from '../support/kubelet-env.js';
import { admit, deploymentPod, envOf, testConfig, type Obj } from '../support/admission.js';
import { judge } from './judge.js';

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
