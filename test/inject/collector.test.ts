// Issue 21: per-signal endpoints and the collector's credentials (CA, client certificate, headers) reach the
// instrumented containers by reference only, from the collector Secret of the pod's own namespace. Judged on
// the admitted pod (the applied patch), the API server's validation, Pod Security `restricted`, and the env
// the kubelet would compute.
import t from 'tap';
import { ConfigError } from '../../src/errors.js';
import { kubeletEnv } from '../support/kubelet-env.js';
import { restrictedViolations, validatePod } from '../support/pod-judge.js';
import { admit, deploymentPod, restricted, testConfig, type Obj } from '../support/admission.js';

const TLS = {
  INJECT_OTLP_ENDPOINT: 'https://signoz-otel-collector.signoz.svc:4318',
  INJECT_COLLECTOR_CA: 'true',
  INJECT_COLLECTOR_CLIENT_CERT: 'true',
  INJECT_COLLECTOR_HEADERS: 'true',
};
const DIR = '/var/run/otel-injector/collector';

function withEnv(pod: Obj, env: Obj[]): Obj {
  pod.spec.containers[0].env = env;
  return pod;
}

function twoContainers(): Obj {
  const pod = deploymentPod();
  pod.spec.containers.push({ name: 'worker', image: 'registry.example.com/bakery/worker:1' });
  return pod;
}

t.test('every configured item reaches every instrumented container, by reference only', async (t) => {
  const { pod, result } = admit(restricted(twoContainers()), testConfig(TLS));
  t.equal(result.decision, 'injected');
  t.same(validatePod(pod), [], 'the API server would accept the admitted pod');
  t.same(restrictedViolations(pod), [], 'valid under Pod Security restricted');
  const volumes = (pod.spec.volumes as Obj[]).filter((volume) => volume.secret !== undefined);
  t.same(volumes, [{ name: 'otel-injector-collector', secret: { secretName: 'otel-injector-collector', optional: true, defaultMode: 0o444 } }],
    'one optional Secret volume for the pod, the Secret of its own namespace');
  for (const container of pod.spec.containers as Obj[]) {
    const env = kubeletEnv(container, pod);
    t.equal(env.get('OTEL_EXPORTER_OTLP_ENDPOINT'), TLS.INJECT_OTLP_ENDPOINT);
    t.equal(env.get('OTEL_EXPORTER_OTLP_CERTIFICATE'), `${DIR}/ca.crt`, `${container.name}: CA file`);
    t.equal(env.get('OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'), `${DIR}/tls.crt`);
    t.equal(env.get('OTEL_EXPORTER_OTLP_CLIENT_KEY'), `${DIR}/tls.key`);
    t.equal(env.get('OTEL_INJECTOR_HEADERS_FILE'), `${DIR}/headers`);
    const headers = (container.env as Obj[]).find((entry) => entry.name === 'OTEL_EXPORTER_OTLP_HEADERS');
    t.same(headers?.valueFrom, { secretKeyRef: { name: 'otel-injector-collector', key: 'headers', optional: true } },
      `${container.name}: headers from the Secret, optional`);
    t.same((container.volumeMounts as Obj[]).filter((mount) => mount.mountPath === DIR),
      [{ name: 'otel-injector-collector', mountPath: DIR, readOnly: true }], `${container.name}: mounted read-only`);
  }
  const spec = JSON.stringify(pod);
  t.notOk(/BEGIN|PRIVATE KEY/.test(spec), 'no certificate or key material in the pod');
});

t.test('without collector settings the pod is exactly as before: no volume, no variable', async (t) => {
  const { pod } = admit(deploymentPod());
  t.notOk((pod.spec.volumes as Obj[]).some((volume) => volume.secret !== undefined));
  const names = (pod.spec.containers[0].env as Obj[]).map((entry) => entry.name);
  for (const name of ['OTEL_EXPORTER_OTLP_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    t.notOk(names.includes(name), `${name} not added`);
  }
  t.equal(kubeletEnv(pod.spec.containers[0], pod).get('OTEL_EXPORTER_OTLP_ENDPOINT'), 'http://signoz-otel-collector.signoz.svc.cluster.local:4318');
});

t.test('headers only: the secretKeyRef and the same key as a file of the mounted Secret, no certificate', async (t) => {
  const { pod } = admit(deploymentPod(), testConfig({ INJECT_OTLP_ENDPOINT: 'https://ingest.eu.signoz.cloud:443', INJECT_COLLECTOR_HEADERS: 'true' }));
  t.same(validatePod(pod), []);
  const container = pod.spec.containers[0];
  t.ok((container.volumeMounts as Obj[]).some((mount) => mount.mountPath === DIR && mount.readOnly === true), 'the Secret is mounted');
  t.ok((container.env as Obj[]).some((entry) => entry.name === 'OTEL_EXPORTER_OTLP_HEADERS' && entry.valueFrom?.secretKeyRef?.key === 'headers'));
  const env = kubeletEnv(container, pod);
  t.equal(env.get('OTEL_INJECTOR_HEADERS_FILE'), `${DIR}/headers`, 'the file our payloads re-read');
  t.notOk(env.has('OTEL_EXPORTER_OTLP_CERTIFICATE'));
});

t.test('a container that chose its own collector gets none of our credentials', async (t) => {
  for (const own of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT']) {
    const pod = twoContainers();
    pod.spec.containers[1].env = [{ name: own, value: 'https://their-collector.example.com:4318' }];
    const { pod: admitted } = admit(pod, testConfig(TLS));
    const theirs = kubeletEnv(admitted.spec.containers[1], admitted);
    t.notOk(theirs.has('OTEL_EXPORTER_OTLP_CERTIFICATE'), `${own}: no CA for their collector`);
    t.notOk(theirs.has('OTEL_EXPORTER_OTLP_HEADERS') || theirs.has('OTEL_INJECTOR_HEADERS_FILE'), `${own}: the key never goes to their collector`);
    t.notOk((admitted.spec.containers[1].volumeMounts as Obj[]).some((mount) => mount.mountPath === DIR), `${own}: nothing mounted`);
    t.equal(kubeletEnv(admitted.spec.containers[0], admitted).get('OTEL_EXPORTER_OTLP_CERTIFICATE'), `${DIR}/ca.crt`, 'the other container still gets them');
  }
});

t.test('a credential variable the container sets is kept, the others are added', async (t) => {
  const pod = withEnv(deploymentPod(), [
    { name: 'OTEL_EXPORTER_OTLP_CERTIFICATE', value: '/etc/ssl/their-ca.pem' },
    { name: 'OTEL_EXPORTER_OTLP_CLIENT_KEY', value: '/etc/their.key' },
    { name: 'OTEL_EXPORTER_OTLP_HEADERS', valueFrom: { secretKeyRef: { name: 'mine', key: 'h' } } },
  ]);
  const { pod: admitted } = admit(pod, testConfig(TLS));
  const container = admitted.spec.containers[0];
  const env = kubeletEnv(container, admitted);
  t.equal(env.get('OTEL_EXPORTER_OTLP_CERTIFICATE'), '/etc/ssl/their-ca.pem');
  t.equal(env.get('OTEL_EXPORTER_OTLP_CLIENT_KEY'), '/etc/their.key');
  t.notOk(env.has('OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'), 'no certificate paired with their key');
  t.same((container.env as Obj[]).filter((entry) => entry.name === 'OTEL_EXPORTER_OTLP_HEADERS').map((entry) => entry.valueFrom),
    [{ secretKeyRef: { name: 'mine', key: 'h' } }], 'their headers, once');
  t.notOk(env.has('OTEL_INJECTOR_HEADERS_FILE'), 'and no header file of ours over them');
  t.notOk((container.volumeMounts as Obj[]).some((mount) => mount.mountPath === DIR), 'no file of ours used: nothing mounted');
});

t.test('a name taken in the pod gets a unique volume name; a path the container mounts is left alone', async (t) => {
  const pod = deploymentPod();
  pod.spec.volumes.push({ name: 'otel-injector-collector', emptyDir: {} });
  const { pod: admitted } = admit(pod, testConfig(TLS));
  t.same(validatePod(admitted), []);
  t.ok((admitted.spec.volumes as Obj[]).some((volume) => volume.name === 'otel-injector-collector-2' && volume.secret !== undefined));
  const occupied = deploymentPod();
  occupied.spec.volumes.push({ name: 'mine', emptyDir: {} });
  occupied.spec.containers[0].volumeMounts.push({ name: 'mine', mountPath: DIR });
  const { pod: second } = admit(occupied, testConfig(TLS));
  t.same(validatePod(second), [], 'no duplicate mount path');
  t.notOk(kubeletEnv(second.spec.containers[0], second).has('OTEL_EXPORTER_OTLP_CERTIFICATE'));
});

t.test('reinvocation adds nothing twice', async (t) => {
  const config = testConfig(TLS);
  const { pod: once } = admit(deploymentPod(), config);
  const { pod: twice, ops } = admit(once, config);
  t.same(ops, [], 'no patch on the second pass');
  t.equal((twice.spec.volumes as Obj[]).length, (once.spec.volumes as Obj[]).length);
});

t.test('per-signal endpoints are added where the container sets no endpoint', async (t) => {
  const config = testConfig({
    INJECT_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces',
    INJECT_OTLP_LOGS_ENDPOINT: 'http://logs.example.com:4318/v1/logs',
  });
  const { pod } = admit(deploymentPod(), config);
  const env = kubeletEnv(pod.spec.containers[0], pod);
  t.equal(env.get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'), 'https://traces.example.com/v1/traces');
  t.equal(env.get('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'), 'http://logs.example.com:4318/v1/logs');
  t.notOk(env.has('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'), 'metrics use the base endpoint');
  const own = withEnv(deploymentPod(), [{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://mine:4318' }]);
  const { pod: theirs } = admit(own, config);
  t.notOk(kubeletEnv(theirs.spec.containers[0], theirs).has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'), 'their base endpoint is not split');
});

t.test('configuration errors name the variable', async (t) => {
  t.throws(() => testConfig({ INJECT_COLLECTOR_CA: 'true' }), ConfigError, 'a CA with only http:// endpoints');
  t.throws(() => testConfig({ INJECT_OTLP_ENDPOINT: 'https://c:4318', INJECT_COLLECTOR_MOUNT_PATH: '/otel-injector/tls' }), ConfigError, 'under the payload mount');
  t.throws(() => testConfig({ INJECT_COLLECTOR_SECRET_NAME: 'Not_A_Name' }), ConfigError);
  t.throws(() => testConfig({ INJECT_OTLP_METRICS_ENDPOINT: 'ftp://x' }), ConfigError);
  t.doesNotThrow(() => testConfig({ INJECT_OTLP_TRACES_ENDPOINT: 'https://t/v1/traces', INJECT_COLLECTOR_CA: 'true' }), 'one https signal is enough');
  const cfg = testConfig({ ...TLS, INJECT_COLLECTOR_SECRET_NAME: 'signoz-creds', INJECT_COLLECTOR_MOUNT_PATH: '/etc/otel/' });
  t.same({ ...cfg.inject.collector }, {
    endpoints: {}, secretName: 'signoz-creds', mountPath: '/etc/otel', ca: true, clientCertificate: true, headers: true,
  });
});
