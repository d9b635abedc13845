// The candidate nodes of a pod as the scheduler would filter them: nodeSelector, every operator of required
// node affinity (terms ORed, expressions ANDed, matchFields on the name), tolerations of NoSchedule/NoExecute.
import t from 'tap';
import { candidateNodes } from '../../src/inject/node-match.js';
import type { PodSpec } from '../../src/inject/types.js';
import { admit, deploymentPod, testConfig } from '../support/admission.js';
import { node, snapshot, support } from '../support/delivery.js';

const NODES = [
  node('a', 'containerd://2.3.7', { labels: { zone: 'z1', cores: '8', ssd: 'true' } }),
  node('b', 'containerd://2.3.7', { labels: { zone: 'z2', cores: '32' } }),
  node('c', 'containerd://1.7.2', { labels: { zone: 'z3', cores: '4', legacy: 'true' } }),
];

const spec = (extra: Record<string, unknown>): PodSpec => ({ containers: [{ name: 'app' }], ...extra });
const required = (...terms: unknown[]): Record<string, unknown> => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
const names = (s: PodSpec): string[] => candidateNodes(s, NODES).nodes.map((n) => n.name);

t.test('each affinity operator selects what the scheduler would', async (t) => {
  const table: Array<[string, unknown, string[]]> = [
    ['In', { key: 'zone', operator: 'In', values: ['z1', 'z3'] }, ['a', 'c']],
    ['NotIn (a node without the label matches)', { key: 'ssd', operator: 'NotIn', values: ['true'] }, ['b', 'c']],
    ['Exists', { key: 'legacy', operator: 'Exists' }, ['c']],
    ['DoesNotExist', { key: 'legacy', operator: 'DoesNotExist' }, ['a', 'b']],
    ['Gt (integers)', { key: 'cores', operator: 'Gt', values: ['6'] }, ['a', 'b']],
    ['Lt (integers)', { key: 'cores', operator: 'Lt', values: ['8'] }, ['c']],
    ['Gt with a non-integer bound matches nothing', { key: 'cores', operator: 'Gt', values: ['many'] }, []],
    ['an unknown operator matches nothing', { key: 'zone', operator: 'Like', values: ['z'] }, []],
  ];
  for (const [name, expression, expected] of table) t.same(names(spec(required({ matchExpressions: [expression] }))), expected, name);
});

t.test('terms are ORed, expressions within a term ANDed, an empty term matches nothing, matchFields on metadata.name', async (t) => {
  t.same(names(spec(required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }))), ['a', 'b']);
  t.same(names(spec(required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1', 'z2'] }, { key: 'ssd', operator: 'Exists' }] }))), ['a']);
  t.same(names(spec(required({}))), []);
  t.same(names(spec(required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }))), ['b'], 'a DaemonSet pod pinned by name');
  t.same(names(spec({ nodeSelector: { zone: 'z2' }, ...required({ matchExpressions: [{ key: 'cores', operator: 'Exists' }] }) })), ['b'], 'nodeSelector and affinity both apply');
});

t.test('taints: NoSchedule and NoExecute keep a pod off unless tolerated; PreferNoSchedule does not', async (t) => {
  const tainted = [
    node('ns', 'containerd://2.3.7', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
    node('ne', 'containerd://2.3.7', { taints: [{ key: 'gone', effect: 'NoExecute' }] }),
    node('pref', 'containerd://2.3.7', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }),
  ];
  const of = (tolerations: unknown[]): string[] => candidateNodes(spec({ tolerations }), tainted).nodes.map((n) => n.name);
  t.same(of([]), ['pref']);
  t.same(of([{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }]), ['ns', 'pref']);
  t.same(of([{ key: 'dedicated', operator: 'Equal', value: 'web' }]), ['pref'], 'another value does not tolerate');
  t.same(of([{ key: 'dedicated', operator: 'Exists' }]), ['ns', 'pref'], 'Exists on the key, any effect');
  t.same(of([{ key: 'gone', operator: 'Exists', effect: 'NoSchedule' }]), ['pref'], 'the wrong effect does not tolerate');
  t.same(of([{ operator: 'Exists' }]), ['ns', 'ne', 'pref'], 'an empty key with Exists tolerates everything');
});

t.test('through the webhook: affinity away from the unsupported node gives the image volume, towards it the init container', async (t) => {
  const config = testConfig({ INJECT_DELIVERY: 'auto' });
  const away = deploymentPod();
  Object.assign(away.spec, required({ matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] }));
  const towards = deploymentPod();
  Object.assign(towards.spec, required({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['16'] }] }));
  const first = admit(away, config, {}, support(snapshot(NODES))).pod;
  t.equal(first.spec.volumes.at(-1).image?.reference, 'ghcr.io/otel-injector/payload:0.1.0');
  t.equal(first.spec.initContainers, undefined, 'no init container');
  const second = admit(towards, config, {}, support(snapshot(NODES))).pod;
  t.equal(second.spec.initContainers.at(-1).name, 'otel-injector');
  t.match(second.metadata.annotations['otel-injector.io/status'], /delivery: init-container \(auto: 1 of 2 candidate nodes lack support, e\.g\. node c runs containerd 1\.7\.2/);
});
