// The support snapshot both sides read: which runtimes count as supported, and what a snapshot must be.
import t from 'tap';
import { nodeSupport, parseSnapshot, parseVersion, renderSnapshot } from '../../../src/k8s/contract/delivery.js';
import { node, snapshot } from '../../support/delivery.js';

t.test('runtime and kubelet versions as nodes report them', async (t) => {
  const table: Array<[string, string, boolean]> = [
    ['containerd://2.2.0', 'v1.35.0', true],
    ['containerd://v2.3.7', 'v1.37.2', true],
    ['containerd://2.4.2+unknown', 'v1.36.3', true],
    ['containerd://2.1.4', 'v1.35.4', false],
    ['containerd://1.7.2', 'v1.35.4', false],
    ['containerd://1.6.20~ds1', 'v1.34.4', false],
    ['cri-o://1.33.0', 'v1.35.4', true],
    ['cri-o://1.32.5', 'v1.35.4', false],
    ['containerd://2.3.7', 'v1.34.4', false],
    ['containerd://2.3.7', '', false],
    ['docker://28.1.1', 'v1.35.4', false],
    ['containerd://', 'v1.35.4', false],
    ['', 'v1.35.4', false],
    ['garbage', 'v1.35.4', false],
  ];
  for (const [runtime, kubelet, supported] of table) t.equal(nodeSupport(runtime, kubelet).supported, supported, `${runtime} on kubelet ${kubelet || '(none)'}`);
  t.equal(nodeSupport('containerd://1.7.2', 'v1.35.0').why, 'runs containerd 1.7.2, image volumes with subPath need 2.2+');
  t.equal(nodeSupport('docker://28.1.1', 'v1.35.0').why, 'runs docker 28.1.1, not known to mount image volumes');
  t.same(parseVersion('v1.35.4-eks-1'), [1, 35, 4]);
  t.same(parseVersion('2.2'), [2, 2, 0]);
  t.equal(parseVersion('two'), undefined);
});

t.test('a snapshot round-trips; anything else is refused; a node is judged again on read', async (t) => {
  const snap = snapshot([node('w1'), node('w3', 'containerd://1.7.2', { taints: [{ key: 'k', effect: 'NoExecute' }] })]);
  t.same(parseSnapshot(renderSnapshot(snap)), snap);
  t.ok(Object.isFrozen(parseSnapshot(renderSnapshot(snap))?.nodes[0]?.labels), 'frozen');
  for (const bad of ['', 'null', '[]', '{"version":2}', JSON.stringify({ ...snap, observedAt: 'yesterday' }), JSON.stringify({ ...snap, imageVolumeField: 'yes' }),
    JSON.stringify({ ...snap, nodes: [{ name: 'x' }] }), JSON.stringify({ ...snap, nodes: [{ ...node('w1'), taints: [{ key: 1 }] }] })]) {
    t.equal(parseSnapshot(bad), undefined, bad.slice(0, 60));
  }
  const lying = JSON.stringify({ ...snap, nodes: [{ ...node('w3', 'containerd://1.7.2'), supported: true }] });
  t.equal(parseSnapshot(lying)?.nodes[0]?.supported, false, 'a node this release does not call supported is not trusted');
});
