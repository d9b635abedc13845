import t from 'tap';
import { validatePod } from './pod-judge.js';

type Pod = Record<string, any>;

function validPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'api-7d9f8b6c4d-',
      labels: { app: 'api', 'pod-template-hash': '7d9f8b6c4d' },
      annotations: { 'otel-injector.io/status': 'injected', 'resource.opentelemetry.io/team': 'payments' },
    },
    spec: {
      volumes: [{ name: 'otel-auto-instrumentation', emptyDir: { sizeLimit: '200Mi' } }, { name: 'config', configMap: { name: 'app' } }],
      initContainers: [{
        name: 'otel-injector', image: 'ghcr.io/acme/otel-injector:1.0.0',
        volumeMounts: [{ name: 'otel-auto-instrumentation', mountPath: '/otel-injector' }],
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
      }],
      containers: [{
        name: 'api', image: 'node:20-alpine',
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'NODE_OPTIONS', value: '--max-old-space-size=512 --require /otel-injector/node/register.cjs' },
          { name: 'my.setting', value: '' },
        ],
        envFrom: [{ configMapRef: { name: 'app' }, prefix: 'CFG_' }],
        volumeMounts: [
          { name: 'otel-auto-instrumentation', mountPath: '/otel-injector', readOnly: true },
          { name: 'config', mountPath: '/etc/app', subPath: 'app.yaml' },
        ],
        resources: { requests: { cpu: '0.5', memory: '128974848' }, limits: { cpu: 1, memory: '1Gi' } },
      }],
    },
  };
}

function errorsAfter(mutate: (p: Pod) => void): string[] {
  const pod = validPod();
  mutate(pod);
  return validatePod(pod);
}

t.test('a valid pod has no errors', async (t) => {
  t.same(validatePod(validPod()), []);
});

t.test('not a pod at all', async (t) => {
  t.match(validatePod(null), [/must be an object/]);
  t.match(validatePod({ metadata: {} }), [/spec: Required/]);
  t.match(errorsAfter((p) => { p.spec.containers = []; }), [/spec.containers: Required/]);
  t.match(errorsAfter((p) => { p.spec.containers = { name: 'x' }; }), [/spec.containers: Required/, /spec.containers: .*must be a list/]);
});

const cases: [string, (p: Pod) => void, RegExp][] = [
  ['duplicate container name across init and regular', (p) => { p.spec.initContainers[0].name = 'api'; }, /spec.containers\[0\].name: Duplicate value: "api"/],
  ['duplicate regular container name', (p) => { p.spec.containers.push({ ...p.spec.containers[0] }); }, /spec.containers\[1\].name: Duplicate value/],
  ['container name not a DNS label', (p) => { p.spec.containers[0].name = 'API_server'; }, /spec.containers\[0\].name: Invalid value: "API_server"/],
  ['container name too long', (p) => { p.spec.containers[0].name = 'a'.repeat(64); }, /name: Invalid value/],
  ['missing container name', (p) => { delete p.spec.initContainers[0].name; }, /spec.initContainers\[0\].name: Required/],
  ['empty init image', (p) => { p.spec.initContainers[0].image = ''; }, /spec.initContainers\[0\].image: Required/],
  ['image with whitespace', (p) => { p.spec.containers[0].image = ' node:20'; }, /image: Invalid value: .*whitespace/],
  ['duplicate volume name', (p) => { p.spec.volumes.push({ name: 'config', emptyDir: {} }); }, /spec.volumes\[2\].name: Duplicate value: "config"/],
  ['volume name not a DNS label', (p) => { p.spec.volumes[1].name = 'Config'; }, /spec.volumes\[1\].name: Invalid value/],
  ['volume without a source', (p) => { p.spec.volumes[1] = { name: 'config' }; }, /must specify a volume type/],
  ['volume with two sources', (p) => { p.spec.volumes[1].emptyDir = {}; }, /may not specify more than 1 volume type/],
  ['emptyDir sizeLimit not a quantity', (p) => { p.spec.volumes[0].emptyDir.sizeLimit = '200MB'; }, /sizeLimit: Invalid value/],
  ['emptyDir sizeLimit negative', (p) => { p.spec.volumes[0].emptyDir.sizeLimit = '-1Mi'; }, /sizeLimit: Invalid value/],
  ['configMap volume without name', (p) => { p.spec.volumes[1].configMap = {}; }, /configMap.name: Required/],
  ['mount of a missing volume', (p) => { p.spec.containers[0].volumeMounts[0].name = 'otel-injector'; }, /volumeMounts\[0\].name: Not found: "otel-injector"/],
  ['duplicate mountPath in a container', (p) => { p.spec.containers[0].volumeMounts[1].mountPath = '/otel-injector'; }, /volumeMounts\[1\].mountPath: Invalid value: "\/otel-injector": must be unique/],
  ['mount without mountPath', (p) => { delete p.spec.initContainers[0].volumeMounts[0].mountPath; }, /mountPath: Required/],
  ['subPath escaping', (p) => { p.spec.containers[0].volumeMounts[1].subPath = '../etc'; }, /subPath: Invalid value/],
  ['env name with =', (p) => { p.spec.containers[0].env[3].name = 'NODE=OPTIONS'; }, /env\[3\].name: Invalid value: "NODE=OPTIONS"/],
  ['empty env name', (p) => { p.spec.containers[0].env[3].name = ''; }, /env\[3\].name: .*non-empty/],
  ['env name with non-ASCII', (p) => { p.spec.containers[0].env[3].name = 'CAFÉ'; }, /env\[3\].name: Invalid value/],
  ['env value not a string', (p) => { p.spec.containers[0].env[3].value = 3000; }, /env\[3\].value: Invalid value: must be a string/],
  ['env with both value and valueFrom', (p) => { p.spec.containers[0].env[0].value = 'x'; }, /env\[0\].valueFrom: Invalid value: may not be specified when `value` is not empty/],
  ['valueFrom with no source', (p) => { p.spec.containers[0].env[0].valueFrom = {}; }, /must specify one of/],
  ['valueFrom with two sources', (p) => { p.spec.containers[0].env[1].valueFrom.configMapKeyRef = { name: 'a', key: 'b' }; }, /may not have more than one field/],
  ['fieldRef to an unsupported path', (p) => { p.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath = 'metadata.labels'; }, /fieldPath: Unsupported value: "metadata.labels"/],
  ['secretKeyRef without key', (p) => { delete p.spec.containers[0].env[1].valueFrom.secretKeyRef.key; }, /secretKeyRef.key: Required/],
  ['resourceFieldRef bad resource', (p) => { p.spec.containers[0].env[2].valueFrom.resourceFieldRef.resource = 'limits.gpu'; }, /resource: Unsupported value/],
  ['envFrom with neither source', (p) => { p.spec.containers[0].envFrom[0] = { prefix: 'X_' }; }, /envFrom\[0\]: Invalid value: must specify exactly one/],
  ['envFrom prefix with =', (p) => { p.spec.containers[0].envFrom[0].prefix = 'A='; }, /envFrom\[0\].prefix: Invalid value/],
  ['env not a list', (p) => { p.spec.containers[0].env = { NODE_OPTIONS: 'x' }; }, /spec.containers\[0\].env: Invalid value: must be a list/],
  ['request above limit (cpu)', (p) => { p.spec.containers[0].resources.requests.cpu = '1001m'; }, /resources.requests: Invalid value: "1001m": must be less than or equal to cpu limit of 1/],
  ['request above limit (memory, mixed units)', (p) => { p.spec.initContainers[0].resources.requests.memory = '68M'; }, /must be less than or equal to memory limit of 64Mi/],
  ['quantity that does not parse', (p) => { p.spec.initContainers[0].resources.limits.memory = '64MB'; }, /limits\[memory\]: Invalid value: "64MB"/],
  ['negative quantity', (p) => { p.spec.initContainers[0].resources.requests.cpu = '-10m'; }, /must be greater than or equal to 0/],
  ['probe on an init container', (p) => { p.spec.initContainers[0].readinessProbe = { exec: { command: ['true'] } }; }, /initContainers\[0\].readinessProbe: Forbidden/],
  ['bad init restartPolicy', (p) => { p.spec.initContainers[0].restartPolicy = 'Never'; }, /restartPolicy: Unsupported value/],
  ['annotation value not a string', (p) => { p.metadata.annotations['otel-injector.io/inject'] = false; }, /metadata.annotations\[otel-injector.io\/inject\]: Invalid value: must be a string/],
  ['annotation key invalid', (p) => { p.metadata.annotations['otel injector/status'] = 'x'; }, /metadata.annotations: Invalid value: "otel injector\/status"/],
  ['annotations too large', (p) => { p.metadata.annotations.big = 'x'.repeat(262144); }, /metadata.annotations: Too long/],
  ['label value invalid', (p) => { p.metadata.labels.app = 'a b'; }, /metadata.labels: Invalid value: "a b"/],
  ['ephemeral containers on create', (p) => { p.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }]; }, /spec.ephemeralContainers: Forbidden/],
  ['pod name invalid', (p) => { p.metadata.name = 'API'; }, /metadata.name: Invalid value/],
];

for (const [name, mutate, expected] of cases) {
  t.test(name, async (t) => {
    const errs = errorsAfter(mutate);
    t.ok(errs.some((e) => expected.test(e)), `${expected} in ${JSON.stringify(errs)}`);
  });
}

t.test('things the apiserver accepts are accepted', async (t) => {
  t.same(errorsAfter((p) => { p.spec.containers[0].env.push({ name: 'NODE_OPTIONS', value: 'dup' }); }), [], 'duplicate env names');
  t.same(errorsAfter((p) => { p.spec.containers[0].env[3].name = '1ST VAR-x.y'; }), [], 'relaxed env name');
  t.same(errorsAfter((p) => { p.spec.containers[0].resources = { limits: { memory: '1Gi' } }; }), [], 'limits without requests');
  t.same(errorsAfter((p) => { p.spec.containers[0].resources = { requests: { cpu: '4' } }; }), [], 'requests without limits');
  t.same(errorsAfter((p) => { p.spec.containers[0].resources.requests.memory = '1Gi'; }), [], 'request equal to limit across forms');
  t.same(errorsAfter((p) => { p.spec.initContainers[0].resources.requests.memory = '67M'; }), [], '67M is below 64Mi');
  t.same(errorsAfter((p) => { p.spec.initContainers[0].restartPolicy = 'Always'; p.spec.initContainers[0].startupProbe = {}; }), [], 'sidecar with probe');
  t.same(errorsAfter((p) => { p.spec.containers[0].volumeMounts.push({ name: 'config', mountPath: '/etc/other' }); }), [], 'one volume mounted twice');
  t.same(errorsAfter((p) => { p.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath = "metadata.labels['app']"; }), [], 'fieldRef to one label');
});

t.test('the older env name rule is available', async (t) => {
  const pod = validPod();
  pod.spec.containers[0].env[3].name = '1ST_VAR';
  t.same(validatePod(pod), []);
  t.match(validatePod(pod, { envNames: { relaxed: false } }), [/env\[3\].name: Invalid value: "1ST_VAR"/]);
  t.same(validatePod(validPod(), { envNames: { relaxed: false } }), []);
});
