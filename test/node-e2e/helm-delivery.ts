// The delivery modes of issue 26 through the chart on the real node, run by helm.test.ts after its own cases
// (same bring-up, same release): `helm upgrade` to payload.delivery=auto (the chart's controller watches Nodes
// and writes the ConfigMap `<fullname>-delivery`, the webhook pods mount it), a Node.js and a Python Deployment
// get the image volume and export spans; a Node object added through the API (no kubelet behind it) that
// reports containerd 1.7.2 makes `auto` give the init container to a pod that can land there, while a pod pinned
// to the real node keeps the image volume; then `image-volume` and `init-container` give what they say.
import type { Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppsV1Api, CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import { RELEASE, RELEASE_NAMESPACE } from '../e2e/chart.js';
import { STATUS_ANNOTATION } from '../e2e/kube.js';
import { helm } from './chart-node.js';
import { APP_IMAGE, PAYLOAD_IMAGE, PY_APP_IMAGE } from './images.js';
import { NODE_NAME } from './node.js';
import type { ControlPlane } from '../e2e/harness.js';
import { APP_PORT, appDeployment, deployAndWait, get } from './workloads.js';

interface Span { kind: number; resource: Record<string, unknown> }
interface Receiver { spans: Span[]; waitFor(p: (s: { spans: Span[] }) => boolean, ms: number): Promise<{ spans: Span[] }> }
export interface DeliveryContext { cp: ControlPlane; core: CoreV1Api; apps: AppsV1Api; receiver: Receiver; valuesFile: string; namespace: string; timings: Record<string, string> }

const OLD_NODE = 'old-runtime-1';
const POOL = 'otel-injector.test/pool';
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const status = (p: V1Pod): string => p.metadata?.annotations?.[STATUS_ANNOTATION] ?? '';
const runtimesOf = (p: V1Pod): string[] => (/^injected: ([a-z,]+)/.exec(status(p))?.[1] ?? '').split(',').filter(Boolean);

/** A bare pod of the Node.js app (restricted), with scheduling constraints. */
function appPod(name: string, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  const template = appDeployment(name).spec?.template;
  return { metadata: { name, labels: { app: name } }, spec: { ...template?.spec, containers: template?.spec?.containers ?? [], ...spec } };
}

/** The pod the webhook returns for `body` (server-side dry run through the API server and the Service). */
async function dryRun(core: CoreV1Api, namespace: string, body: V1Pod): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace, body, dryRun: 'All' });
}

/** Dry-runs `body` until the status annotation matches (bounded: 150 s); the last pod and the time it took. */
async function untilStatus(core: CoreV1Api, namespace: string, body: V1Pod, want: RegExp): Promise<{ pod: V1Pod; ms: number }> {
  const t0 = Date.now();
  let pod = await dryRun(core, namespace, body);
  while (!want.test(status(pod)) && Date.now() - t0 < 150_000) {
    await sleep(1000);
    pod = await dryRun(core, namespace, body).catch(() => pod);
  }
  return { pod, ms: Date.now() - t0 };
}

interface Loaded { imageVolumeField: boolean | null; nodes: number; supported: number }

/**
 * Waits until EVERY running webhook pod has logged loading a snapshot that `ok` accepts (bounded: 150 s). Each
 * replica reads its own copy of the mounted ConfigMap, which its kubelet refreshes on its own schedule: right
 * after the ConfigMap appears or changes, one replica may decide from the new snapshot and another still from
 * none (found the hard way: a Deployment admitted by the second replica got `no support data`).
 */
async function everyWebhookLoaded(ctx: DeliveryContext, ok: (l: Loaded) => boolean): Promise<{ all: boolean; ms: number; seen: string }> {
  const t0 = Date.now();
  let seen = '';
  while (Date.now() - t0 < 150_000) {
    const pods = (await ctx.core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: 'otel-injector.io/component=webhook' })).items.filter((p) => p.metadata?.deletionTimestamp === undefined);
    const last = await Promise.all(pods.map(async (p) => {
      const log = await ctx.core.readNamespacedPodLog({ name: p.metadata?.name ?? '', namespace: RELEASE_NAMESPACE }).catch(() => '');
      const lines = log.split('\n').filter((l) => l.includes('"delivery support snapshot loaded"'));
      return lines.length === 0 ? undefined : (JSON.parse(lines[lines.length - 1] ?? '{}') as Loaded);
    }));
    seen = JSON.stringify(last);
    if (pods.length > 0 && last.every((l) => l !== undefined && ok(l))) return { all: true, ms: Date.now() - t0, seen };
    await sleep(1000);
  }
  return { all: false, ms: Date.now() - t0, seen };
}

async function upgrade(ctx: DeliveryContext, delivery: string): Promise<void> {
  const t0 = Date.now();
  await helm(ctx.cp, ['upgrade', RELEASE, 'charts/otel-injector', '-n', RELEASE_NAMESPACE, '-f', ctx.valuesFile, '--set', `payload.delivery=${delivery}`, '--wait', '--timeout', '240s']);
  ctx.timings[`helm upgrade delivery=${delivery} --wait`] = secs(Date.now() - t0);
}

/** What an image-volume pod must look like: no init container, the payload image as a volume, one ro subPath mount per runtime. */
function checkImageVolume(tt: Test, pod: V1Pod, what: string): void {
  tt.same(pod.spec?.initContainers ?? [], [], `${what}: no init container`);
  const vol = pod.spec?.volumes?.find((v) => v.name === 'otel-injector');
  tt.same(vol?.image, { reference: PAYLOAD_IMAGE, pullPolicy: 'Never' }, `${what}: the volume is the payload image (the chart's reference and pullPolicy)`);
  tt.equal(vol?.emptyDir, undefined, `${what}: no emptyDir`);
  const runtimes = runtimesOf(pod);
  tt.ok(runtimes.length > 0, `${what}: injected runtimes ${runtimes.join(',')}`);
  const mounts = (pod.spec?.containers[0]?.volumeMounts ?? []).filter((m) => m.name === 'otel-injector').map((m) => ({ mountPath: m.mountPath, subPath: m.subPath, readOnly: m.readOnly }));
  tt.same(mounts, runtimes.map((r) => ({ mountPath: `/otel-injector/${r}`, subPath: `otel-payload/${r}`, readOnly: true })), `${what}: one read-only subPath mount per runtime`);
}

/** Deploys, checks Ready without restart, serves, and that a server span of this pod reached the receiver. */
async function runsAndExports(tt: Test, ctx: DeliveryContext, name: string, image: string): Promise<V1Pod> {
  const rollout = await deployAndWait(ctx.apps, ctx.core, ctx.namespace, appDeployment(name, { image, env: { OTEL_BSP_SCHEDULE_DELAY: '500' } }));
  ctx.timings[`${name} create -> Ready`] = secs(rollout.readyMs);
  const pod = rollout.pod;
  const app = pod.status?.containerStatuses?.find((c) => c.name === 'app');
  tt.equal(app?.ready, true, `${name}: app Ready`);
  tt.equal(app?.restartCount, 0, `${name}: never restarted`);
  tt.equal((await get(`http://${pod.status?.podIP ?? ''}:${APP_PORT}/work`)).status, 200, `${name}: serves`);
  const mine = (s: Span): boolean => s.resource['k8s.pod.uid'] === pod.metadata?.uid && s.kind === 2;
  const state = await ctx.receiver.waitFor((s) => s.spans.some(mine), 30_000).catch(() => ctx.receiver);
  tt.equal(state.spans.find(mine)?.resource['service.name'], name, `${name}: its server span reached the receiver`);
  return pod;
}

async function autoMode(t: Test, ctx: DeliveryContext): Promise<void> {
  await t.test('payload.delivery=auto: the controller publishes the node support, the webhook mounts it; Node.js and Python run from the image volume and export', async (tt) => {
    await upgrade(ctx, 'auto');
    const loaded = await everyWebhookLoaded(ctx, (l) => l.imageVolumeField === true && l.nodes === 1 && l.supported === 1);
    ctx.timings['auto: upgrade done -> every webhook pod loaded the snapshot'] = secs(loaded.ms);
    tt.ok(loaded.all, `every webhook pod logged 'delivery support snapshot loaded' (field kept, 1 node, supported): ${loaded.seen}`);
    const probe = await untilStatus(ctx.core, ctx.namespace, appPod('probe'), /delivery: image-volume \(auto: /);
    ctx.timings['auto: upgrade done -> webhook decides image-volume'] = secs(probe.ms);
    tt.match(status(probe.pod), /delivery: image-volume \(auto: node localhost supports image volumes\)$/, `a dry-run pod gets the image volume once the snapshot is mounted (${secs(probe.ms)})`);
    const cm = await ctx.core.readNamespacedConfigMap({ name: `${RELEASE}-delivery`, namespace: RELEASE_NAMESPACE });
    const snap = JSON.parse(cm.data?.['support.json'] ?? '{}') as { imageVolumeField?: boolean; nodes?: Array<{ name: string; runtime: string; supported: boolean }> };
    tt.equal(snap.imageVolumeField, true, 'the controller\'s probe found volumes[].image kept by kube-apiserver');
    tt.same(snap.nodes?.map((n) => [n.name, n.supported]), [[NODE_NAME, true]], 'the snapshot lists the real node, supported');
    tt.match(snap.nodes?.[0]?.runtime, /^containerd:\/\/v?2\.3\.7$/, `its runtime is the suite's containerd: ${snap.nodes?.[0]?.runtime ?? ''}`);
    for (const [name, image] of [['iv-node', APP_IMAGE], ['iv-python', PY_APP_IMAGE]] as const) {
      const pod = await runsAndExports(tt, ctx, name, image);
      tt.match(status(pod), /; delivery: image-volume \(auto: node localhost supports image volumes\)$/, `${name}: status says image volume and why`);
      checkImageVolume(tt, pod, name);
    }
  });

  await t.test('auto: a node whose runtime lacks support (containerd 1.7.2) makes its candidate pods get the init container; a pod pinned to the real node keeps the image volume', async (tt) => {
    const t0 = Date.now();
    const body: V1Node = { metadata: { name: OLD_NODE, labels: { 'kubernetes.io/hostname': OLD_NODE, [POOL]: 'old' } }, spec: { taints: [{ key: POOL, value: 'old', effect: 'NoSchedule' }] } };
    await ctx.core.createNode({ body });
    const nodeInfo = { machineID: 'x', systemUUID: 'x', bootID: 'x', kernelVersion: '5.10.0', osImage: 'Debian', containerRuntimeVersion: 'containerd://1.7.2', kubeletVersion: 'v1.37.2', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' };
    // the status subresource, as a kubelet reports it; kube-controller-manager may update the Node meanwhile (409: read again)
    for (let i = 0; ; i++) {
      const current = await ctx.core.readNode({ name: OLD_NODE });
      const done = await ctx.core.replaceNodeStatus({ name: OLD_NODE, body: { ...current, status: { ...current.status, nodeInfo } } }).then(() => true, (err: unknown) => {
        if (i < 10 && (err as { code?: number }).code === 409) return false;
        throw err;
      });
      if (done) break;
    }
    let listed = false;
    for (let i = 0; i < 60 && !listed; i++) {
      const cm = await ctx.core.readNamespacedConfigMap({ name: `${RELEASE}-delivery`, namespace: RELEASE_NAMESPACE });
      listed = (cm.data?.['support.json'] ?? '').includes('containerd://1.7.2');
      if (!listed) await sleep(500);
    }
    ctx.timings['old node created -> in the ConfigMap'] = secs(Date.now() - t0);
    tt.ok(listed, 'the controller added the node (containerd://1.7.2) to the ConfigMap');
    const loaded = await everyWebhookLoaded(ctx, (l) => l.nodes === 2 && l.supported === 1);
    ctx.timings['old node created -> every webhook pod loaded it'] = secs(Date.now() - t0);
    tt.ok(loaded.all, `every webhook pod loaded the snapshot with 2 nodes, 1 supported: ${loaded.seen}`);
    const there = { nodeSelector: { [POOL]: 'old' }, tolerations: [{ operator: 'Exists' }] };
    const reason = `delivery: init-container (auto: node ${OLD_NODE} runs containerd 1.7.2, image volumes with subPath need 2.2+)`;
    const seen = await untilStatus(ctx.core, ctx.namespace, appPod('old-probe', there), new RegExp(reason.replace(/[().+]/g, '\\$&')));
    ctx.timings['old node created -> webhook sees it'] = secs(Date.now() - t0);
    tt.ok(status(seen.pod).endsWith(reason), `the webhook read it from the mounted file: ${status(seen.pod)}`);
    const old = await ctx.core.createNamespacedPod({ namespace: ctx.namespace, body: appPod('on-old-node', there) });
    tt.ok(status(old).endsWith(reason), `stored pod: ${status(old)}`);
    tt.equal(old.spec?.initContainers?.[0]?.image, PAYLOAD_IMAGE, 'it got the init container (the payload image)');
    tt.notOk(old.spec?.volumes?.some((v) => v.image !== undefined), 'and no image volume');
    const pinnedBody = appPod('pinned', { nodeSelector: { 'kubernetes.io/hostname': NODE_NAME }, tolerations: [{ operator: 'Exists' }] });
    const pinned = await ctx.core.createNamespacedPod({ namespace: ctx.namespace, body: pinnedBody });
    tt.match(status(pinned), /delivery: image-volume \(auto: node localhost supports image volumes\)$/, 'a pod pinned to the real node still gets the image volume');
    checkImageVolume(tt, pinned, 'pinned');
    let live = pinned;
    for (let i = 0; i < 240 && !(live.status?.containerStatuses?.[0]?.ready ?? false); i++) {
      await sleep(250);
      live = await ctx.core.readNamespacedPod({ name: 'pinned', namespace: ctx.namespace });
    }
    tt.equal(live.status?.containerStatuses?.[0]?.ready, true, 'the pinned pod runs Ready on the real node');
    const stillOld = await ctx.core.readNamespacedPod({ name: 'on-old-node', namespace: ctx.namespace });
    tt.equal(stillOld.status?.phase, 'Pending', 'the pod for the old node stays Pending (no kubelet behind that Node object): expected');
    await ctx.core.deleteNamespacedPod({ name: 'on-old-node', namespace: ctx.namespace, gracePeriodSeconds: 0 });
    await ctx.core.deleteNamespacedPod({ name: 'pinned', namespace: ctx.namespace });
    await ctx.core.deleteNode({ name: OLD_NODE });
    ctx.timings['old-node case'] = secs(Date.now() - t0);
  });
}

export async function deliveryCases(t: Test, ctx: DeliveryContext): Promise<void> {
  await autoMode(t, ctx);

  await t.test('payload.delivery=image-volume: the image volume, status says configured', async (tt) => {
    await upgrade(ctx, 'image-volume');
    const probe = await untilStatus(ctx.core, ctx.namespace, appPod('probe'), /delivery: image-volume \(configured\)$/);
    tt.match(status(probe.pod), /delivery: image-volume \(configured\)$/, `the webhook pods run with image-volume (${secs(probe.ms)})`);
    const pod = await runsAndExports(tt, ctx, 'iv-forced', APP_IMAGE);
    tt.match(status(pod), /; delivery: image-volume \(configured\)$/, 'status: image-volume (configured)');
    checkImageVolume(tt, pod, 'iv-forced');
  });

  await t.test('payload.delivery=init-container: the init container again, no delivery segment', async (tt) => {
    await upgrade(ctx, 'init-container');
    const probe = await untilStatus(ctx.core, ctx.namespace, appPod('probe'), /^injected: [a-z,]+$/);
    tt.match(status(probe.pod), /^injected: [a-z,]+$/, `the webhook pods run with init-container (${secs(probe.ms)})`);
    const pod = await runsAndExports(tt, ctx, 'ic-again', APP_IMAGE);
    tt.equal(pod.spec?.initContainers?.[0]?.image, PAYLOAD_IMAGE, 'the init container runs the payload image');
    tt.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0, 'init container exited 0');
    tt.ok(pod.spec?.volumes?.some((v) => v.name === 'otel-injector' && v.emptyDir !== undefined), 'the payload sits in an emptyDir');
  });
}
