// Every branch of the delivery decision, judged on the pod as admitted (the review path, the patch applied):
// init container or image volume, and the reason the status annotation gives.
import t from 'tap';
import { admit, deploymentPod, testConfig, type Obj } from '../support/admission.js';
import { node, snapshot, support } from '../support/delivery.js';
import { judge } from './judge.js';

const AUTO = testConfig({ INJECT_DELIVERY: 'auto' });
const FORCED = testConfig({ INJECT_DELIVERY: 'image-volume' });
const MIXED = [node('w1'), node('w2', 'cri-o://1.33.2'), node('w3', 'containerd://1.7.2', { labels: { pool: 'old' } })];

function got(pod: Obj): string {
  const init = (pod.spec.initContainers ?? []).some((c: Obj) => c.name === 'otel-injector');
  const image = (pod.spec.volumes ?? []).some((v: Obj) => v.name === 'otel-injector' && v.image !== undefined);
  if (init === image) throw new Error(`init container ${init}, image volume ${image}`);
  return init ? 'init-container' : 'image-volume';
}

const status = (pod: Obj): string => pod.metadata.annotations['otel-injector.io/status'];

const cases: Array<[string, Obj, Parameters<typeof admit>[1], ReturnType<typeof support> | undefined, string, string]> = [
  ['init-container (the default) makes no decision and writes no delivery', deploymentPod(), testConfig(), support(snapshot(MIXED)), 'init-container', 'injected: node,python'],
  ['image-volume without any snapshot', deploymentPod(), FORCED, support(undefined), 'image-volume', 'injected: node,python; delivery: image-volume (configured)'],
  ['image-volume when a fresh snapshot shows the API server drops the field', deploymentPod(), FORCED, support(snapshot(MIXED, { imageVolumeField: false })), 'init-container',
    'injected: node,python; delivery: init-container (image-volume configured, but the API server drops volumes[].image (ImageVolume off))'],
  ['auto without a snapshot', deploymentPod(), AUTO, support(undefined), 'init-container', 'injected: node,python; delivery: init-container (auto: no support data from the controller)'],
  ['auto with a stale snapshot', deploymentPod(), AUTO, support(snapshot([node('w1')], { ageSeconds: 901 })), 'init-container', 'injected: node,python; delivery: init-container (auto: support data is 901s old, older than 900s)'],
  ['auto when the API server drops the field', deploymentPod(), AUTO, support(snapshot([node('w1')], { imageVolumeField: false })), 'init-container', 'injected: node,python; delivery: init-container (auto: the API server drops volumes[].image (ImageVolume off))'],
  ['auto when the probe could not tell', deploymentPod(), AUTO, support(snapshot([node('w1')], { imageVolumeField: null })), 'init-container', 'injected: node,python; delivery: init-container (auto: not known whether the API server keeps volumes[].image)'],
  ['auto in a cluster with no nodes known', deploymentPod(), AUTO, support(snapshot([])), 'init-container', 'injected: node,python; delivery: init-container (auto: no known node matches the pod\'s scheduling constraints)'],
  ['auto, every node supported', deploymentPod(), AUTO, support(snapshot([node('w1'), node('w2', 'cri-o://1.33.2')])), 'image-volume', 'injected: node,python; delivery: image-volume (auto: all 2 candidate nodes support image volumes)'],
  ['auto, one node of three unsupported', deploymentPod(), AUTO, support(snapshot(MIXED)), 'init-container',
    'injected: node,python; delivery: init-container (auto: 1 of 3 candidate nodes lack support, e.g. node w3 runs containerd 1.7.2, image volumes with subPath need 2.2+)'],
  ['auto, nodeSelector keeps the pod off the unsupported node', withSpec({ nodeSelector: { 'kubernetes.io/hostname': 'w1' } }), AUTO, support(snapshot(MIXED)), 'image-volume', 'injected: node,python; delivery: image-volume (auto: node w1 supports image volumes)'],
  ['auto, nodeSelector matching no node', withSpec({ nodeSelector: { pool: 'gpu' } }), AUTO, support(snapshot(MIXED)), 'init-container', 'injected: node,python; delivery: init-container (auto: no known node matches the pod\'s scheduling constraints)'],
  ['auto, spec.nodeName on a supported node (taints do not matter)', withSpec({ nodeName: 'w2' }), AUTO, support(snapshot([...MIXED, node('w2b', 'cri-o://1.33.2', { taints: [{ key: 'x', effect: 'NoSchedule' }] })])), 'image-volume',
    'injected: node,python; delivery: image-volume (auto: node w2 supports image volumes)'],
  ['auto, spec.nodeName on an unsupported node', withSpec({ nodeName: 'w3' }), AUTO, support(snapshot(MIXED)), 'init-container',
    'injected: node,python; delivery: init-container (auto: node w3 runs containerd 1.7.2, image volumes with subPath need 2.2+)'],
  ['auto, spec.nodeName not in the snapshot (a node added after it)', withSpec({ nodeName: 'w9' }), AUTO, support(snapshot(MIXED)), 'init-container', 'injected: node,python; delivery: init-container (auto: node w9 is not in the support data)'],
  ['auto, a kubelet older than 1.35 on a new runtime', withSpec({ nodeName: 'k' }), AUTO, support(snapshot([node('k', 'containerd://2.3.7', { kubelet: 'v1.34.4' })])), 'init-container',
    'injected: node,python; delivery: init-container (auto: node k runs kubelet v1.34.4, ImageVolume is on by default from 1.35)'],
  ['auto, the unsupported node tainted NoSchedule and not tolerated', deploymentPod(), AUTO, support(snapshot([node('w1'), node('w3', 'containerd://2.1.4', { taints: [{ key: 'old', value: 'yes', effect: 'NoSchedule' }] })])), 'image-volume',
    'injected: node,python; delivery: image-volume (auto: node w1 supports image volumes)'],
  ['auto, the same taint tolerated', withSpec({ tolerations: [{ key: 'old', operator: 'Equal', value: 'yes', effect: 'NoSchedule' }] }), AUTO,
    support(snapshot([node('w1'), node('w3', 'containerd://2.1.4', { taints: [{ key: 'old', value: 'yes', effect: 'NoSchedule' }] })])), 'init-container',
    'injected: node,python; delivery: init-container (auto: 1 of 2 candidate nodes lack support, e.g. node w3 runs containerd 2.1.4, image volumes with subPath need 2.2+)'],
];

function withSpec(spec: Obj): Obj {
  const pod = deploymentPod();
  Object.assign(pod.spec, spec);
  return pod;
}

for (const [name, pod, config, delivery, expected, expectedStatus] of cases) {
  t.test(name, async (t) => {
    const { pod: admitted, result } = admit(pod, config, {}, delivery);
    judge(t, admitted);
    t.equal(result.decision, 'injected');
    t.equal(got(admitted), expected, `the pod got the ${expected}`);
    t.equal(status(admitted), expectedStatus, 'the status says which delivery and why');
    t.equal(result.delivery?.delivery, expected, 'the review result carries the decision (logged)');
  });
}

t.test('every reason fits in the status segment: no ";" and one line', async (t) => {
  for (const [, pod, config, delivery] of cases) {
    const reason = admit(pod, config, {}, delivery).result.delivery?.reason ?? '';
    t.notMatch(reason, /[;\n]/, reason);
  }
});
