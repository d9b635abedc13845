// Delivery modes at API level against a real kube-apiserver 1.34 (the "1.33-1.34" check of issue 26; this
// file pins 1.34 and fails, never skips, if the harness's apiserver is another version). The controller runs
// as a process with exactly the chart's RBAC for payload.delivery=auto and publishes its snapshot; the test
// copies the ConfigMap into the file the webhook reads (what the kubelet does for the chart's mount).
// - defaults (ImageVolume gate off, beta-off in 1.33/1.34): the probe finds volumes[].image dropped, and
//   `auto` gives the init container even though the only node reports a supported runtime;
// - --feature-gates=ImageVolume=true: the probe sees the field kept; a pod is stored with the image volume
//   and its mounts in a `restricted` namespace; an unsupported node among the candidates gives the init container.
import { KUBERNETES_COMPAT_VERSIONS } from './versions.js';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions, VersionApi, type V1Pod } from '@kubernetes/client-node';
import t, { type Test } from 'tap';
import { SUPPORT_KEY, deliveryConfigMapName, parseSnapshot, type DeliverySnapshot } from '../../src/k8s/contract/delivery.js';
import { RELEASE_NAMESPACE, parseManifests, pointWebhookAt, renderChart } from './chart.js';
import { chartControllerKubeconfig, logLines, startController } from './controller-support.js';
import { startControlPlane, startWebhook, type ControlPlane } from './harness.js';
import { apis, applyWebhookConfig, createNamespace, deploymentPod, eventually, INJECT_LABEL, STATUS_ANNOTATION } from './kube.js';

const PAYLOAD = `registry.invalid/e2e/otel-payload@sha256:${'ab'.repeat(32)}`;
const CONFIG_MAP = deliveryConfigMapName('otel-injector');
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** n nodes, each with its runtime reported and the API server's not-ready taint lifted (until then it keeps pods off). */
const ready = (n: number) => (x: DeliverySnapshot): boolean => x.nodes.length === n && x.nodes.every((node) => node.runtime !== '' && node.taints.length === 0);

/** A Node object (no kubelet) reporting this runtime; the not-ready taint the API server adds is lifted. */
async function createNode(core: CoreV1Api, name: string, runtime: string): Promise<void> {
  await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } } } });
  const nodeInfo = { containerRuntimeVersion: runtime, kubeletVersion: 'v1.35.4', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64', osImage: 'e2e', kernelVersion: '6', machineID: name, systemUUID: name, bootID: name };
  await core.patchNodeStatus({ name, body: { status: { nodeInfo } } }, MERGE);
  await core.patchNode({ name, body: { spec: { taints: null } } }, MERGE);
}

interface Setup {
  readonly core: CoreV1Api;
  /** The controller's snapshot once it satisfies `ok`, copied to the webhook's file. */
  mirror(ok: (s: DeliverySnapshot) => boolean): Promise<DeliverySnapshot>;
  /** A pod created through the webhook (dry run until the webhook shows `status`, then for real). */
  admitted(pod: V1Pod, status: RegExp): Promise<V1Pod>;
}

async function setup(t: Test, cp: ControlPlane): Promise<Setup> {
  const { core, admission } = apis(cp.kubeConfig);
  const { gitVersion } = await cp.kubeConfig.makeApiClient(VersionApi).getCode();
  t.match(gitVersion, /^v1\.34\./, 'this file pins kube-apiserver 1.34 (test/e2e/versions.env KUBERNETES_COMPAT_VERSIONS)');
  await createNamespace(core, RELEASE_NAMESPACE);
  await createNamespace(core, 'shop', { [INJECT_LABEL]: 'enabled', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
  const file = join(cp.dir, 'support.json');
  const webhook = await startWebhook(t, cp.dir, { env: { INJECT_DELIVERY: 'auto', INJECT_DELIVERY_SUPPORT_FILE: file, INJECT_DELIVERY_POLL_SECONDS: '1', INJECT_PAYLOAD_IMAGE: PAYLOAD } });
  await applyWebhookConfig(admission, pointWebhookAt(parseManifests(await renderChart()), `${webhook.url}/mutate`, webhook.caPem));
  const kubeconfig = await chartControllerKubeconfig(cp, ['controller.mode=report', 'payload.delivery=auto']);
  const controller = await startController(t, cp, 'delivery-e2e', { CONTROLLER_MODE: 'report', INJECT_DELIVERY: 'auto', INJECT_PAYLOAD_IMAGE: PAYLOAD }, kubeconfig);
  t.teardown(() => {
    const lines = logLines(controller.proc).filter((l) => String(l.msg).startsWith('delivery support'));
    t.comment(`controller: ${lines.map((l) => `${String(l.msg)} ${JSON.stringify({ imageVolumeField: l.imageVolumeField, nodes: l.nodes, err: l.err })}`).join(' | ')}`);
  });
  return {
    core,
    async mirror(ok) {
      const read = async (): Promise<DeliverySnapshot | undefined> => {
        const cm = await core.readNamespacedConfigMap({ name: CONFIG_MAP, namespace: RELEASE_NAMESPACE }).catch(() => undefined);
        return parseSnapshot(cm?.data?.[SUPPORT_KEY] ?? '');
      };
      const snapshot = await eventually(read, (s) => s !== undefined && ok(s), 30_000);
      if (snapshot === undefined || !ok(snapshot)) throw new Error(`the controller published no matching snapshot: ${JSON.stringify(snapshot)}`);
      await writeFile(`${file}.next`, JSON.stringify(snapshot));
      await rename(`${file}.next`, file);
      return snapshot;
    },
    async admitted(pod, status) {
      const dry = async (): Promise<string> => (await core.createNamespacedPod({ namespace: 'shop', body: pod, dryRun: 'All' })).metadata?.annotations?.[STATUS_ANNOTATION] ?? '';
      const seen = await eventually(dry, (s) => status.test(s), 15_000);
      t.match(seen, status, 'the webhook has read the snapshot');
      return core.createNamespacedPod({ namespace: 'shop', body: pod });
    },
  };
}

const initContainer = (pod: V1Pod): boolean => (pod.spec?.initContainers ?? []).some((c) => c.name === 'otel-injector' && c.image === PAYLOAD);
const imageVolume = (pod: V1Pod): unknown => (pod.spec?.volumes ?? []).find((v) => v.name === 'otel-injector')?.image;

/** The 1.34 kube-apiserver of test/e2e/versions.env (built by `npm run test:e2e`). */
const COMPAT = KUBERNETES_COMPAT_VERSIONS.find((v) => v.startsWith('v1.34.')) ?? 'v1.34 (none in versions.env)';

t.test('1.34 defaults: the API server drops volumes[].image, so auto gives the init container', async (t) => {
  const cp = await startControlPlane(t, { version: COMPAT });
  const s = await setup(t, cp);
  await createNode(s.core, 'w1', 'containerd://2.3.7');
  const snapshot = await s.mirror(ready(1));
  t.equal(snapshot.imageVolumeField, false, 'the dry-run probe pod came back without its image volume');
  t.equal(snapshot.nodes[0]?.supported, true, 'the node itself reports a runtime that could');
  const pod = await s.admitted(deploymentPod('orders'), /delivery: init-container \(auto: the API server drops volumes\[\]\.image \(ImageVolume off\)\)$/);
  t.ok(initContainer(pod), 'stored with the init container');
  t.equal(imageVolume(pod), undefined, 'and no image volume');
});

t.test('1.34 with --feature-gates=ImageVolume=true: the field is kept, pods are stored with the image volume, restricted passes', async (t) => {
  const cp = await startControlPlane(t, { version: COMPAT, extraApiserverArgs: ['--feature-gates=ImageVolume=true'] });
  const s = await setup(t, cp);
  await createNode(s.core, 'w1', 'containerd://2.3.7');
  const snapshot = await s.mirror(ready(1));
  t.equal(snapshot.imageVolumeField, true, 'the dry-run probe pod kept its image volume');
  const pod = await s.admitted(deploymentPod('orders'), /delivery: image-volume \(auto: node w1 supports image volumes\)$/);
  t.same(imageVolume(pod), { reference: PAYLOAD, pullPolicy: 'IfNotPresent' }, 'stored with the image volume, digest as given');
  t.equal(initContainer(pod), false, 'no init container');
  const mounts = (pod.spec?.containers[0]?.volumeMounts ?? []).filter((m) => m.name === 'otel-injector').map((m) => [m.mountPath, m.subPath, m.readOnly]);
  t.same(mounts, [['/otel-injector/node', 'otel-payload/node', true], ['/otel-injector/python', 'otel-payload/python', true]], 'the mounts are stored too');
  t.equal(pod.metadata?.annotations?.['otel-injector.io/payload-image'], PAYLOAD);

  await createNode(s.core, 'w2', 'containerd://1.7.2');
  await s.mirror(ready(2));
  const mixed = await s.admitted(deploymentPod('billing'), /delivery: init-container \(auto: 1 of 2 candidate nodes lack support, e\.g\. node w2 runs containerd 1\.7\.2/);
  t.ok(initContainer(mixed), 'a node without support among the candidates: the init container');
  const pinned = deploymentPod('pinned');
  pinned.spec = { ...pinned.spec, containers: pinned.spec?.containers ?? [], nodeSelector: { 'kubernetes.io/hostname': 'w1' } };
  const onW1 = await s.admitted(pinned, /delivery: image-volume \(auto: node w1 supports image volumes\)$/);
  t.ok(imageVolume(onW1) !== undefined, 'a pod that can only land on the supported node: the image volume');
});
