import t from 'tap';
import { envDiff, expandVars, kubeletEnv } from './kubelet-env.js';

const ctx: Record<string, string> = { VAR_A: 'A', VAR_B: 'B', VAR_EMPTY: '', 'with space': 'S' };
const lookup = (n: string): string | undefined => ctx[n];

t.test('expansion follows third_party/forked/golang/expansion', async (t) => {
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)$(VAR_B)', 'AB'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$VAR_A', '$VAR_A'],
    ['f000-$$VAR_A', 'f000-$VAR_A'],
    ['$(', '$('],
    ['$()', '$()'],
    ['$', '$'],
    ['$$', '$'],
    ['x$', 'x$'],
    ['$(VAR_A)$', 'A$'],
    ['$(VAR_EMPTY)', ''],
    ['$(UNDEFINED)', '$(UNDEFINED)'],
    ['$(UNDEFINED)$(VAR_A)', '$(UNDEFINED)A'],
    ['$(with space)', 'S'],
    ['$(VAR_A)) (', 'A) ('],
    ['$(($(VAR_A))', '$(($(VAR_A))'],
    ['$é$(VAR_B)', '$éB'],
    ['$😀$(VAR_B)', '$😀B'],
    ['', ''],
  ];
  for (const [input, want] of cases) t.equal(expandVars(input, lookup), want, JSON.stringify(input));
});

t.test('references resolve only against variables defined earlier', async (t) => {
  const env = kubeletEnv({
    name: 'app',
    env: [
      { name: 'B', value: 'b=$(A)' },
      { name: 'A', value: 'a' },
      { name: 'C', value: '$(A)-$(B)-$$(A)' },
    ],
  });
  t.same([...env], [['B', 'b=$(A)'], ['A', 'a'], ['C', 'a-b=$(A)-$(A)']]);
});

t.test('a later duplicate wins and later references see it', async (t) => {
  const env = kubeletEnv({
    name: 'app',
    env: [
      { name: 'NODE_OPTIONS', value: '--one' },
      { name: 'X', value: '$(NODE_OPTIONS)' },
      { name: 'NODE_OPTIONS', value: '$(NODE_OPTIONS) --two' },
      { name: 'Y', value: '$(NODE_OPTIONS)' },
    ],
  });
  t.equal(env.get('NODE_OPTIONS'), '--one --two');
  t.equal(env.get('X'), '--one');
  t.equal(env.get('Y'), '--one --two');
  t.same([...env.keys()], ['X', 'NODE_OPTIONS', 'Y']);
});

t.test('valueFrom becomes a marker naming its source', async (t) => {
  const env = kubeletEnv({
    name: 'app',
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'NODE_OPTIONS', valueFrom: { configMapKeyRef: { name: 'flags', key: 'NODE_OPTIONS', optional: true } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'ATTRS', value: 'k8s.pod.name=$(POD),ip=$(IP),opts=$(NODE_OPTIONS)' },
      { name: 'EMPTY', value: '' },
      { name: 'NOTHING' },
    ],
  });
  t.equal(env.get('POD'), '<fieldRef:metadata.name>');
  t.equal(env.get('NS'), '<fieldRef:metadata.namespace>');
  t.equal(env.get('UID'), '<fieldRef:metadata.uid>');
  t.equal(env.get('NODE'), '<fieldRef:spec.nodeName>');
  t.same(env.get('IP'), { from: 'fieldRef:status.podIP' });
  t.same(env.get('PW'), { from: 'secretKeyRef:db/password' });
  t.same(env.get('NODE_OPTIONS'), { from: 'configMapKeyRef:flags/NODE_OPTIONS?' });
  t.same(env.get('MEM'), { from: 'resourceFieldRef:app/limits.memory/1Mi' });
  t.equal(env.get('ATTRS'), 'k8s.pod.name=<fieldRef:metadata.name>,ip=<fieldRef:status.podIP>,opts=<configMapKeyRef:flags/NODE_OPTIONS?>');
  t.equal(env.get('EMPTY'), '');
  t.equal(env.get('NOTHING'), '');
});

t.test('envFrom is noted but not used to resolve references', async (t) => {
  const env = kubeletEnv({
    name: 'app',
    envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'sec' }, prefix: 'S_' }],
    env: [{ name: 'X', value: '$(<envFrom:0>)' }],
  });
  t.same([...env], [
    ['<envFrom:0>', { from: 'configMapRef:cfg' }],
    ['<envFrom:1>', { from: 'secretRef:sec prefix=S_' }],
    ['X', '$(<envFrom:0>)'],
  ]);
});

t.test('a container can be named within a pod', async (t) => {
  const pod = {
    spec: {
      initContainers: [{ name: 'init', env: [{ name: 'I', value: 'i' }] }],
      containers: [{ name: 'api', env: [{ name: 'A', value: 'a' }] }],
    },
  };
  t.same([...kubeletEnv('api', pod)], [['A', 'a']]);
  t.same([...kubeletEnv('init', pod)], [['I', 'i']]);
  t.throws(() => kubeletEnv('nope', pod), /no container named "nope"/);
});

t.test('envDiff reports changed and removed user values, not additions', async (t) => {
  const before = kubeletEnv({ name: 'a', env: [
    { name: 'NODE_OPTIONS', value: '--x' },
    { name: 'S', valueFrom: { secretKeyRef: { name: 'n', key: 'k' } } },
    { name: 'K', value: 'k' },
    { name: 'R', value: '$(LATER)' },
  ] });
  t.same(envDiff(before, before), []);
  const sameWithAdditions = kubeletEnv({ name: 'a', env: [
    { name: 'NODE_OPTIONS', value: '--x' },
    { name: 'S', valueFrom: { secretKeyRef: { name: 'n', key: 'k' } } },
    { name: 'K', value: 'k' },
    { name: 'R', value: '$(LATER)' },
    { name: 'LATER', value: 'added after R, so R is unchanged' },
    { name: 'OTEL_SERVICE_NAME', value: 'x' },
  ] });
  t.same(envDiff(before, sameWithAdditions), []);
  const changed = kubeletEnv({ name: 'a', env: [
    { name: 'LATER', value: 'added before R: R changes' },
    { name: 'NODE_OPTIONS', value: '--x --require /otel/register.cjs' },
    { name: 'S', value: '<secretKeyRef:n/k>' },
    { name: 'R', value: '$(LATER)' },
  ] });
  const diff = envDiff(before, changed);
  t.equal(diff.length, 4, JSON.stringify(diff));
  t.match(diff, [/^NODE_OPTIONS: /, /^S: /, /^K: removed/, /^R: /]);
});
