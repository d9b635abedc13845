// Pods that really run (issue 16): etcd + kube-apiserver (test/e2e harness), kube-controller-manager,
// kube-scheduler and a kubelet with containerd + runc on this machine; the webhook from dist/ as a
// process behind the chart's MutatingWebhookConfiguration (url clientConfig: see docs/e2e.md), the
// project's payload image and a Node.js app image built with buildah and imported into containerd,
// and an OTLP receiver on the host end of the pods' bridge.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PatchStrategy, setHeaderOptions, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { INJECT_LABEL, STATUS_ANNOTATION, BYPASS_ANNOTATION, createNamespace, eventually, isInjected } from '../e2e/kube.js';
import { logLines, startController } from '../e2e/controller-support.js';
import { kubectlBin } from '../support/tools.js';
import type { SpanRecord } from '../support/receiver.mjs';
import { containerExits, killTimes } from './exits.js';
import { PAYLOAD_IMAGE, PY_APP_IMAGE } from './images.js';
import { preforkDeployment } from './prefork.js';
import { NODE_NAME, hostSnapshot } from './node.js';
import { ON, OFF, startSuite } from './suite.js';
import { APP_PORT, appDeployment, deleteAndWaitGone, deployAndWait, get, podsOf } from './workloads.js';

t.setTimeout(25 * 60 * 1000);
const run = promisify(execFile);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const started = Date.now();

const { node, core, apps, receiver, webhook, restartWebhook, chartEnv, imagesMs, bringUpMs } = await startSuite(t);
t.comment(`images ready in ${secs(imagesMs)}, node Ready in ${secs(bringUpMs)}`);

const kubectl = await kubectlBin();
async function exec(pod: V1Pod, container: string, cmd: string[]): Promise<string> {
  const { stdout } = await run(kubectl, ['--kubeconfig', node.cp.kubeconfigPath, '-n', pod.metadata?.namespace ?? '', 'exec', pod.metadata?.name ?? '', '-c', container, '--', ...cmd]);
  return stdout;
}

/** What runc was told for a container (containerd's stored OCI spec). */
async function ociSpec(containerId: string): Promise<{ process: { user: { uid: number; gid: number }; capabilities?: Record<string, string[] | undefined> }; root: { readonly?: boolean }; linux: { resources?: { memory?: { limit?: number }; cpu?: { quota?: number; period?: number } } } }> {
  const id = containerId.replace(/^containerd:\/\//, '');
  const { stdout } = await run(node.ctr, ['--address', node.containerdSock, '-n', 'k8s.io', 'containers', 'info', id], { maxBuffer: 8 << 20 });
  return (JSON.parse(stdout) as { Spec: never }).Spec;
}

const podUrl = (pod: V1Pod, path: string): string => `http://${pod.status?.podIP ?? ''}:${APP_PORT}${path}`;
const fromPod = (pod: V1Pod) => (s: SpanRecord): boolean => s.resource['k8s.pod.uid'] === pod.metadata?.uid;
const timings: Record<string, string> = {};
const RESTARTED_AT = 'otel-injector.io/restarted-at';

let shop: V1Pod | undefined;
await t.test('an injected Deployment runs: init container copied the preload as non-root, restricted, within the chart resources', async (tt) => {
  const rollout = await deployAndWait(apps, core, ON, appDeployment('shop-api'));
  timings['shop-api create -> Ready (injected)'] = secs(rollout.readyMs);
  const pod = (shop = rollout.pod);
  tt.match(pod.metadata?.annotations?.[STATUS_ANNOTATION], /^injected: \S*node/, 'status annotation: injected for node');
  tt.equal(pod.spec?.nodeName, NODE_NAME, 'scheduled onto the suite\'s node');
  const init = pod.spec?.initContainers?.find((c) => c.image === PAYLOAD_IMAGE) as V1Container;
  tt.ok(init, 'the payload init container is in the stored pod');
  tt.equal(init.imagePullPolicy, 'Never');
  tt.same(init.resources?.limits, { cpu: chartEnv.INJECT_INIT_CPU_LIMIT ?? '100m', memory: chartEnv.INJECT_INIT_MEMORY_LIMIT ?? '64Mi' }, 'init limits are the chart\'s');
  const status = pod.status?.initContainerStatuses?.find((s) => s.name === init.name);
  tt.equal(status?.state?.terminated?.exitCode, 0, 'init container exited 0');
  tt.equal(status?.state?.terminated?.reason, 'Completed');
  const spec = await ociSpec(status?.containerID ?? '');
  tt.equal(spec.process.user.uid, Number(chartEnv.INJECT_INIT_RUN_AS_USER ?? 65532), 'runc ran the init container as the non-root user');
  tt.not(spec.process.user.uid, 0);
  tt.equal(spec.root.readonly, true, 'read-only root filesystem');
  tt.same(spec.process.capabilities?.bounding ?? [], [], 'no capabilities (bounding set empty)');
  tt.same(spec.process.capabilities?.effective ?? [], [], 'no capabilities (effective set empty)');
  tt.equal(spec.linux.resources?.memory?.limit, 64 * 1024 * 1024, 'memory limit 64Mi handed to runc');
  tt.equal(spec.linux.resources?.cpu?.quota, 10_000, 'cpu limit 100m handed to runc (quota 10ms per 100ms)');
  // the files in the app container: written by the init container's user, readable by the app
  const listing = await exec(pod, 'app', ['/nodejs/bin/node', '-e', 'const fs=require("fs");const d=process.argv[1];console.log(JSON.stringify(fs.readdirSync(d).map(f=>{const s=fs.statSync(d+"/"+f);return [f,s.uid]})));console.log(process.getuid())', '/otel-injector/node']);
  const [files, uid] = listing.trim().split('\n');
  const entries = JSON.parse(files ?? '[]') as Array<[string, number]>;
  tt.ok(entries.some(([f]) => f === 'register.cjs'), 'node/register.cjs copied into the shared volume');
  tt.ok(entries.every(([, u]) => u === spec.process.user.uid), 'every copied file owned by the init container\'s user');
  tt.equal(uid, '65532', 'the app runs as its image\'s user');
  const appStatus = pod.status?.containerStatuses?.find((c) => c.name === 'app');
  tt.equal(appStatus?.ready, true, 'app container Ready');
  tt.equal(appStatus?.restartCount, 0, 'app container never restarted');
});

await t.test('the app\'s telemetry reaches the receiver with the real pod\'s identity', async (tt) => {
  const pod = shop;
  if (pod === undefined) return tt.fail('no pod from the previous test');
  for (let i = 0; i < 3; i++) tt.equal((await get(podUrl(pod, `/work?i=${i}`))).status, 200, `request ${i} answered`);
  const state = await receiver.waitFor((s) => s.spans.some((x) => fromPod(pod)(x) && x.kind === 2), 30_000);
  const span = state.spans.find((x) => fromPod(pod)(x) && x.kind === 2) as SpanRecord;
  tt.equal(span.resource['k8s.pod.name'], pod.metadata?.name, 'k8s.pod.name is the pod\'s');
  tt.equal(span.resource['k8s.pod.uid'], pod.metadata?.uid, 'k8s.pod.uid is the pod\'s');
  tt.equal(span.resource['k8s.node.name'], pod.spec?.nodeName, 'k8s.node.name is the node\'s');
  tt.equal(span.resource['k8s.namespace.name'], ON, 'k8s.namespace.name');
  tt.equal(span.resource['service.name'], 'shop-api', 'service.name is the Deployment name');
  tt.equal(span.resource['k8s.deployment.name'], 'shop-api', 'k8s.deployment.name');
});

let backend: V1Pod | undefined;
await t.test('a trace crosses two instrumented services', async (tt) => {
  const be = (backend = (await deployAndWait(apps, core, ON, appDeployment('shop-backend'))).pod);
  const front = (await deployAndWait(apps, core, ON, appDeployment('shop-front', { env: { DOWNSTREAM_URL: `http://${be.status?.podIP ?? ''}:${APP_PORT}` } }))).pod;
  const res = await get(podUrl(front, '/call'));
  tt.match(res.body, /^downstream 200: work done by shop-backend-/, 'front called backend');
  const state = await receiver.waitFor((s) => {
    const client = s.spans.find((x) => fromPod(front)(x) && x.kind === 3);
    return client !== undefined && s.spans.some((x) => fromPod(be)(x) && x.kind === 2 && x.parentSpanId === client.spanId);
  }, 30_000);
  const client = state.spans.find((x) => fromPod(front)(x) && x.kind === 3) as SpanRecord;
  const server = state.spans.find((x) => fromPod(be)(x) && x.parentSpanId === client.spanId) as SpanRecord;
  tt.equal(server.traceId, client.traceId, 'one trace');
  tt.equal(client.resource['service.name'], 'shop-front');
  tt.equal(server.resource['service.name'], 'shop-backend');
  const frontServer = state.spans.find((x) => fromPod(front)(x) && x.kind === 2 && x.traceId === client.traceId);
  tt.equal(frontServer?.spanId, client.parentSpanId, 'the client span is a child of the front\'s server span');
});

await t.test('a Python FastAPI service (uvicorn, httpx) runs injected; its spans carry the real pod\'s identity; one trace crosses Node -> Python -> Node', async (tt) => {
  const be = backend;
  if (be === undefined) return tt.fail('no Node backend from the previous test');
  const orders = await deployAndWait(apps, core, ON, appDeployment('py-orders', { image: PY_APP_IMAGE, env: { DOWNSTREAM_URL: podUrl(be, '') } }));
  timings['py-orders create -> Ready (injected, Python)'] = secs(orders.readyMs);
  const py = orders.pod;
  tt.match(py.metadata?.annotations?.[STATUS_ANNOTATION], /^injected: \S*python/, 'status annotation: injected for python');
  tt.ok(py.spec?.containers[0]?.env?.some((e) => e.name === 'PYTHONPATH'), 'PYTHONPATH set on the app container');
  const init = py.status?.initContainerStatuses?.[0];
  tt.equal(init?.state?.terminated?.exitCode, 0, 'init container completed');
  tt.equal(py.status?.containerStatuses?.[0]?.ready, true, 'the Python app is Ready');
  tt.equal(py.status?.containerStatuses?.[0]?.restartCount, 0, 'never restarted');
  const gateway = (await deployAndWait(apps, core, ON, appDeployment('node-gateway', { env: { DOWNSTREAM_URL: podUrl(py, '') } }))).pod;
  const res = await get(podUrl(gateway, '/call'));
  tt.equal(res.status, 200, 'the Node gateway answered');
  tt.match(res.body, /^downstream 200: \{.*"runtime":"python".*"downstream":"200: work done by shop-backend-/, 'Node -> Python -> Node answered');
  const isPy = fromPod(py);
  const chain = (s: { spans: SpanRecord[] }): SpanRecord[] | undefined => {
    const gwClient = s.spans.find((x) => fromPod(gateway)(x) && x.kind === 3);
    const pyServer = s.spans.find((x) => isPy(x) && x.kind === 2 && x.parentSpanId === gwClient?.spanId);
    const pyClient = s.spans.find((x) => isPy(x) && x.kind === 3 && x.traceId === pyServer?.traceId);
    const beServer = s.spans.find((x) => fromPod(be)(x) && x.kind === 2 && x.parentSpanId === pyClient?.spanId);
    return gwClient && pyServer && pyClient && beServer ? [gwClient, pyServer, pyClient, beServer] : undefined;
  };
  const state = await receiver.waitFor((s) => chain(s) !== undefined, 30_000).catch(() => receiver);
  const [gwClient, pyServer, pyClient, beServer] = chain(state) ?? [];
  if (gwClient === undefined || pyServer === undefined || pyClient === undefined || beServer === undefined) {
    return tt.fail(`spans missing: ${state.spans.map((x) => `${String(x.resource['service.name'])}:${x.name}(${x.kind})`).join(', ')}`);
  }
  tt.equal(pyServer.resource['k8s.pod.name'], py.metadata?.name, 'Python: k8s.pod.name is the pod\'s');
  tt.equal(pyServer.resource['k8s.pod.uid'], py.metadata?.uid, 'Python: k8s.pod.uid is the pod\'s');
  tt.equal(pyServer.resource['k8s.node.name'], py.spec?.nodeName, 'Python: k8s.node.name is the node\'s');
  tt.equal(pyServer.resource['k8s.namespace.name'], ON, 'Python: k8s.namespace.name');
  tt.equal(pyServer.resource['service.name'], 'py-orders', 'Python: service.name is the Deployment name');
  tt.equal(pyServer.resource['telemetry.sdk.language'], 'python', 'the span comes from the Python SDK');
  tt.equal(pyServer.traceId, gwClient.traceId, 'the Python server span continues the Node gateway\'s trace');
  tt.equal(pyClient.parentSpanId, pyServer.spanId, 'the httpx client span is a child of the Python server span');
  tt.equal(beServer.traceId, gwClient.traceId, 'the Node backend called from Python is in the same trace');
  tt.equal(gwClient.resource['telemetry.sdk.language'], 'nodejs');
});

await t.test('unlabelled namespace and bypass annotation: the pod runs untouched', async (tt) => {
  for (const [ns, name, annotations] of [[OFF, 'plain', {}], [ON, 'opted-out', { [BYPASS_ANNOTATION]: 'false' }]] as const) {
    const { pod } = await deployAndWait(apps, core, ns, appDeployment(name, { annotations }));
    tt.same(pod.spec?.initContainers ?? [], [], `${name}: no init container`);
    tt.notOk(pod.spec?.volumes?.some((v) => v.name.includes('otel')), `${name}: no volume added`);
    tt.same(pod.spec?.containers[0]?.env?.map((e) => e.name), ['PORT'], `${name}: env unchanged`);
    if (ns === OFF) tt.equal(pod.metadata?.annotations?.[STATUS_ANNOTATION], undefined, `${name}: no status annotation`);
    tt.equal((await get(podUrl(pod, '/work'))).status, 200, `${name}: serves`);
  }
});

await t.test('Pod Security restricted: the injected pod is admitted and runs (the kubelet\'s runAsNonRoot check passes)', async (tt) => {
  const ns = 'node-restricted';
  await createNamespace(core, ns, { [INJECT_LABEL]: 'enabled', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
  const { pod } = await deployAndWait(apps, core, ns, appDeployment('strict'));
  tt.ok(isInjected(pod), 'injected');
  tt.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0, 'init container completed');
  tt.equal(pod.status?.containerStatuses?.[0]?.ready, true, 'app Ready');
});

await t.test('deleting the pod: what the app recorded reaches the receiver before the container exits; delete->exit and SIGTERM->exit as without injection', async (tt) => {
  const grace = 10;
  // the batch processor would export on its own only after a minute: only the flush on SIGTERM can deliver the span in time
  const env = { OTEL_BSP_SCHEDULE_DELAY: '60000' };
  const injected = (await deployAndWait(apps, core, ON, appDeployment('linger', { graceSeconds: grace, env }))).pod;
  const plain = (await deployAndWait(apps, core, OFF, appDeployment('linger', { graceSeconds: grace, env }))).pod;
  // Take both pods out of their ReplicaSets (relabelled: the ReplicaSet lets go and starts a replacement)
  // and wait until the replacements run: each delete below then has the kubelet to itself, with no
  // replacement pod starting at the same moment (that race moved the kill by up to 2 s, either way).
  for (const pod of [injected, plain]) {
    await core.patchNamespacedPod({ name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', body: { metadata: { labels: { app: 'linger-orphaned' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }
  for (const ns of [ON, OFF]) {
    await eventually(() => podsOf(core, ns, 'linger'), (ps) => ps.some((p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')), 60_000);
  }
  await new Promise((r) => setTimeout(r, 2000));
  const marker = `before-delete-${Date.now()}`;
  const isMarker = (x: SpanRecord): boolean => fromPod(injected)(x) && x.kind === 2 && JSON.stringify(x.attributes).includes(marker);
  tt.equal((await get(podUrl(injected, `/work?${marker}`))).status, 200);
  tt.notOk(receiver.spans.some(isMarker), 'the span has not been exported before the delete');
  let arrivedAt = 0;
  const seen = receiver.waitFor((s) => s.spans.some(isMarker), (grace + 20) * 1000).then(() => (arrivedAt = Date.now()), () => 0);
  // One pod after the other, each alone on the node's kill path: deleted at once, which pod's worker gets
  // to the kill first varied by a second or more on this busy machine (docs/e2e.md). The exit is seen by containerd.
  const containerId = (p: typeof injected): string => (p.status?.containerStatuses?.find((c) => c.name === 'app')?.containerID ?? '').replace(/^containerd:\/\//, '');
  const stop = async (pod: typeof injected): Promise<{ t0: number; exitMs?: number; goneMs: number }> => {
    const t0 = Date.now();
    const exit = containerExits(node, [containerId(pod)], t0, (grace + 20) * 1000);
    const goneMs = await deleteAndWaitGone(core, pod);
    return { t0, exitMs: (await exit)[0], goneMs };
  };
  const inj = await stop(injected);
  await seen;
  const pln = await stop(plain);
  timings[`delete -> container exit, injected / uninstrumented (grace ${grace} s)`] = `${secs(inj.exitMs ?? NaN)} / ${secs(pln.exitMs ?? NaN)}`;
  timings['delete -> pod gone from the API, injected / uninstrumented'] = `${secs(inj.goneMs)} / ${secs(pln.goneMs)}`;
  tt.ok(arrivedAt > 0, 'the span recorded before the delete arrived');
  tt.ok(inj.exitMs !== undefined && pln.exitMs !== undefined, 'both containers exited');
  tt.ok(arrivedAt - inj.t0 < (inj.exitMs ?? 0), `it arrived ${secs(arrivedAt - inj.t0)} after the delete, before the container exited (${secs(inj.exitMs ?? NaN)})`);
  tt.ok(Math.abs((inj.exitMs ?? 0) - (pln.exitMs ?? Infinity)) < 1000, `delete -> exit within 1 s of the uninstrumented app (${secs(inj.exitMs ?? NaN)} vs ${secs(pln.exitMs ?? NaN)})`);
  // and what the app itself controls: the kubelet's SIGTERM (its log line) to the exit
  const kills = await killTimes(node, [containerId(injected), containerId(plain)]);
  const [injectedStopMs, plainStopMs] = [inj, pln].map((r, i) => r.t0 + (r.exitMs ?? NaN) - (kills[i] ?? NaN));
  timings['kubelet SIGTERM -> container exit, injected / uninstrumented'] = `${secs(injectedStopMs ?? NaN)} / ${secs(plainStopMs ?? NaN)}`;
  tt.ok(Math.abs((injectedStopMs ?? 0) - (plainStopMs ?? Infinity)) < 1000, `SIGTERM -> exit within 1 s of the uninstrumented app (${secs(injectedStopMs ?? NaN)} vs ${secs(plainStopMs ?? NaN)})`);
  tt.ok((injectedStopMs ?? 0) >= (grace - 1) * 1000, 'PID 1 without a SIGTERM handler lingers until the SIGKILL, injected or not');
});

await t.test('a pre-fork Python server (gunicorn, two UvicornWorker workers) runs injected: Ready, both workers export under their own identity, SIGTERM on delete flushes them', async (tt) => {
  const t0 = Date.now();
  Object.assign(timings, await preforkDeployment(tt, { node, core, apps, receiver }));
  timings['pre-fork case'] = secs(Date.now() - t0);
});

await t.test('the webhook stopped: pods are created and run uninstrumented, with no status annotation; the controller finds them and, once the webhook is back, rolls the Deployment: its new pod runs injected', async (tt) => {
  await webhook.stop();
  const { pod } = await deployAndWait(apps, core, ON, appDeployment('while-down'));
  tt.equal(pod.metadata?.annotations?.[STATUS_ANNOTATION], undefined, 'no status annotation');
  tt.same(pod.spec?.initContainers ?? [], [], 'no init container');
  tt.equal((await get(podUrl(pod, '/work'))).status, 200, 'serves');
  tt.same((await podsOf(core, ON, 'while-down')).length, 1);

  // the rollout controller (issue 15), as the chart runs it in restart mode, with the suite's admin kubeconfig
  const ctl = await startController(t, node.cp, 'node-ctl', {
    CONTROLLER_MODE: 'restart',
    CONTROLLER_WEBHOOK_PROBE_URL: `${webhook.url}/readyz`,
    CONTROLLER_MIN_INTERVAL_SECONDS: '1',
    CONTROLLER_ROLLOUT_TIMEOUT_SECONDS: '120',
    CONTROLLER_LEASE_DURATION_SECONDS: '4',
    INJECT_PAYLOAD_IMAGE: PAYLOAD_IMAGE,
    POD_NAMESPACE: 'default', // its Lease
  });
  const waiting = await eventually(async () => logLines(ctl.proc), (l) => l.some((x) => String(x.msg).includes('restarts wait: the webhook is not ready')), 60_000);
  tt.ok(waiting.some((x) => String(x.msg).includes('restarts wait: the webhook is not ready')), 'the controller found the pod and waits for the webhook');
  const before = await apps.readNamespacedDeployment({ name: 'while-down', namespace: ON });
  tt.equal(before.spec?.template?.metadata?.annotations?.[RESTARTED_AT], undefined, 'nothing rolled while the webhook is down');

  const t0 = Date.now();
  await restartWebhook();
  const rolled = await eventually(
    async () => (await podsOf(core, ON, 'while-down')).filter((p) => p.metadata?.uid !== pod.metadata?.uid),
    (ps) => ps.length === 1 && (ps[0]?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    150_000,
  );
  const fresh = rolled[0];
  if (fresh === undefined) return tt.fail(`no new Ready pod of while-down: ${ctl.proc.tail()}`);
  timings['webhook back -> rolled pod Ready (controller)'] = secs(Date.now() - t0);
  const after = await apps.readNamespacedDeployment({ name: 'while-down', namespace: ON });
  tt.type(after.spec?.template?.metadata?.annotations?.[RESTARTED_AT], 'string', 'the Deployment was rolled by the controller');
  tt.match(fresh.metadata?.annotations?.[STATUS_ANNOTATION], /^injected: /, 'the new pod is injected');
  const init = fresh.status?.initContainerStatuses?.[0];
  tt.equal(init?.state?.terminated?.exitCode, 0, 'its init container ran and completed');
  tt.equal(fresh.status?.containerStatuses?.find((c) => c.name === 'app')?.ready, true, 'its app is Ready');
  tt.equal((await get(podUrl(fresh, '/work'))).status, 200, 'serves');
  const state = await receiver.waitFor((s) => s.spans.some((x) => fromPod(fresh)(x) && x.kind === 2), 30_000).catch(() => receiver);
  const span = state.spans.find((x) => fromPod(fresh)(x) && x.kind === 2);
  tt.equal(span?.resource['service.name'], 'while-down', 'its telemetry arrives: service.name is the Deployment name');
  tt.equal(span?.resource['k8s.pod.name'], fresh.metadata?.name, 'k8s.pod.name is the new pod\'s');
  await ctl.proc.stop();
});

await t.test('teardown restores the host: sysctls, cgroups, interfaces, network namespaces, paths', async (tt) => {
  const t0 = Date.now();
  await node.teardown();
  timings.teardown = secs(Date.now() - t0);
  const after = await hostSnapshot();
  tt.same(after.sysctls, node.before.sysctls, 'sysctls as before');
  tt.same(after.cgroups, node.before.cgroups, 'no kubepods cgroup left');
  tt.same(after.links, node.before.links, 'interfaces as before');
  tt.same(after.netns, node.before.netns, 'network namespaces as before');
  tt.same(after.paths, node.before.paths, 'host paths as before');
  t.comment(`timings: ${JSON.stringify({ images: secs(imagesMs), bringUp: secs(bringUpMs), ...timings, total: secs(Date.now() - started) })}`);
});
