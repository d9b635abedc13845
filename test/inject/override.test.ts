// INJECT_OVERRIDE_ENV: the one place where the injector overrides what a container sets (opt-in). Judged on
// the admitted pod (the applied patch) and the values the kubelet would compute from it.
import t from 'tap';
import { ConfigError } from '../../src/errors.js';
import { kubeletEnv } from '../support/kubelet-env.js';
import { validatePod } from '../support/pod-judge.js';
import { admit, deploymentPod, testConfig, type Obj } from '../support/admission.js';

const FORCED = testConfig({ INJECT_OVERRIDE_ENV: '{"ENABLE_TRACING":"false","ENABLE_OTEL_METRICS":"false","OTEL_TRACES_SAMPLER":"parentbased_always_on"}' });

function withEnv(pod: Obj, env: Obj[]): Obj {
  pod.spec.containers[0].env = env;
  return pod;
}

t.test('a value the container sets is replaced, one it does not set is added, everything else stays', async (t) => {
  const pod = withEnv(deploymentPod(), [
    { name: 'ENABLE_TRACING', value: 'true' },
    { name: 'TRACING_NOTE', value: 'tracing=$(ENABLE_TRACING)' },
    { name: 'ENABLE_OTEL_METRICS', valueFrom: { configMapKeyRef: { name: 'flags', key: 'metrics' } } },
    { name: 'OTEL_TRACES_SAMPLER', value: 'always_off' },
    { name: 'PORT', value: '8080' },
  ]);
  const { pod: admitted, result } = admit(pod, FORCED);
  t.equal(result.decision, 'injected');
  t.same(validatePod(admitted), [], 'the API server would accept the admitted pod');
  const container = admitted.spec.containers[0];
  const env = kubeletEnv(container, admitted);
  t.equal(env.get('ENABLE_TRACING'), 'false', "the container's true is forced to false");
  t.equal(env.get('TRACING_NOTE'), 'tracing=false', 'an entry referring to it sees the forced value');
  t.equal(env.get('ENABLE_OTEL_METRICS'), 'false', 'a valueFrom is replaced by the forced literal');
  t.notOk((container.env as Obj[]).some((entry) => entry.valueFrom !== undefined && entry.name === 'ENABLE_OTEL_METRICS'), 'no valueFrom left for it');
  t.equal(env.get('OTEL_TRACES_SAMPLER'), 'parentbased_always_on', 'an OTEL_* the user set can be forced too');
  t.equal(env.get('PORT'), '8080', 'other variables untouched');
  t.equal(env.get('PYTHONPATH'), '/otel-injector/python', 'the injection itself is as without overrides');
  t.equal((container.env as Obj[]).filter((entry) => entry.name === 'ENABLE_TRACING').length, 1, 'no duplicate entry');
  t.equal(admitted.metadata.annotations['otel-injector.io/status'], 'injected: node,python; env forced: ENABLE_TRACING,ENABLE_OTEL_METRICS,OTEL_TRACES_SAMPLER',
    'the status annotation names every forced variable (names only, never values)');
});

t.test('a container that does not set them gets them; without the setting nothing is forced', async (t) => {
  const { pod: forced } = admit(deploymentPod(), FORCED);
  t.equal(kubeletEnv(forced.spec.containers[0], forced).get('ENABLE_TRACING'), 'false');
  const plainPod = withEnv(deploymentPod(), [{ name: 'ENABLE_TRACING', value: 'true' }]);
  const { pod: plain } = admit(plainPod);
  t.equal(kubeletEnv(plain.spec.containers[0], plain).get('ENABLE_TRACING'), 'true', 'the default forces nothing');
  t.equal(plain.metadata.annotations['otel-injector.io/status'], 'injected: node,python');
});

t.test('a forced value is a literal: $(VAR) in it is not expanded by the kubelet', async (t) => {
  const { pod } = admit(deploymentPod(), testConfig({ INJECT_OVERRIDE_ENV: '{"GREETING":"$(HOME) costs $5"}' }));
  t.equal(kubeletEnv(pod.spec.containers[0], pod).get('GREETING'), '$(HOME) costs $5');
});

t.test('an opted-out or skipped pod gets nothing forced', async (t) => {
  const optedOut = deploymentPod();
  optedOut.metadata.annotations = { 'otel-injector.io/inject': 'false' };
  const { pod, result } = admit(withEnv(optedOut, [{ name: 'ENABLE_TRACING', value: 'true' }]), FORCED);
  t.equal(result.decision, 'bypassed');
  t.equal(kubeletEnv(pod.spec.containers[0], pod).get('ENABLE_TRACING'), 'true');
});

t.test('the variables the injection extends cannot be forced; names are validated', async (t) => {
  for (const name of ['PYTHONPATH', 'NODE_OPTIONS', 'OTEL_RESOURCE_ATTRIBUTES', 'A=B']) {
    t.throws(() => testConfig({ INJECT_OVERRIDE_ENV: JSON.stringify({ [name]: 'x' }) }), ConfigError, name);
  }
  t.throws(() => testConfig({ INJECT_OVERRIDE_ENV: '{"A":1}' }), ConfigError, 'values are strings');
});
