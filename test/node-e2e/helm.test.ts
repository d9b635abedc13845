// The README's own path on a real node: `helm install` of charts/otel-injector with certificate mode `secret`
// (a CA and serving certificate the test makes, as a user would with their own PKI), the chart's webhook
// Deployment running the Dockerfile's `webhook` image on the kubelet, the API server calling it through its
// Service (at its endpoints: --enable-aggregator-routing), a Deployment in a labelled namespace injected that
// way, the chart's controller reaching the API server through the `kubernetes` Service (chart-node.ts says
// how, without kube-proxy), and `helm test`; then the delivery modes by `helm upgrade` (helm-delivery.ts). One
// node for the file; see docs/e2e.md.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import { RELEASE, RELEASE_NAMESPACE } from '../e2e/chart.js';
import { INJECT_LABEL, STATUS_ANNOTATION, apis, createNamespace } from '../e2e/kube.js';
import { createCA, issueServingCert } from '../e2e/pki.js';
import { startReceiver } from '../support/receiver.mjs';
import { buildWebhookImage, chartNodeOptions, helm, routeKubernetesService, WEBHOOK_REPOSITORY } from './chart-node.js';
import { deliveryCases } from './helm-delivery.js';
import { buildImages, PAYLOAD_IMAGE } from './images.js';
import { HOST_IP } from './node-config.js';
import { hostSnapshot, startNode } from './node.js';
import { APP_PORT, appDeployment, deployAndWait, get, podsOf } from './workloads.js';

t.setTimeout(25 * 60 * 1000); // as node.test.ts: a cold image build alone takes 8-10 min
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const timings: Record<string, string> = {};
const started = Date.now();
const ON = 'chart-on';
const TLS_SECRET = 'otel-injector-serving';

const images = await buildImages();
const webhookImage = await buildWebhookImage();
timings.images = secs(Date.now() - started);
const t1 = Date.now();
const node = await startNode(t, [images.pause, images.payload, images.app, images.pyApp, webhookImage], chartNodeOptions);
const relay = await routeKubernetesService(t, node.cp);
timings.bringUp = secs(Date.now() - t1);
const { core, admission } = apis(node.cp.kubeConfig);
const apps = node.cp.kubeConfig.makeApiClient(AppsV1Api);
const discovery = node.cp.kubeConfig.makeApiClient(DiscoveryV1Api);
const receiver = await startReceiver({ host: HOST_IP });
t.teardown(() => receiver.close());

// What a user does before `helm install` in `secret` mode: their own CA, a serving certificate for the Service's
// name, the TLS Secret in the release namespace; an opted-in namespace for the workloads and for `helm test`.
const ca = createCA('node-e2e chart ca');
const serving = issueServingCert(ca, [`${RELEASE}.${RELEASE_NAMESPACE}.svc`, `${RELEASE}.${RELEASE_NAMESPACE}.svc.cluster.local`], []);
await createNamespace(core, RELEASE_NAMESPACE);
await core.createNamespacedSecret({
  namespace: RELEASE_NAMESPACE,
  body: { metadata: { name: TLS_SECRET }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(serving.certPem).toString('base64'), 'tls.key': Buffer.from(serving.keyPem).toString('base64') } },
});
await createNamespace(core, ON, { [INJECT_LABEL]: 'enabled' });
const [payloadRepo, payloadTag] = PAYLOAD_IMAGE.split(/:(?=[^:]+$)/);
const values = {
  image: { repository: WEBHOOK_REPOSITORY, tag: 'dev', pullPolicy: 'Never' },
  payload: { image: { repository: payloadRepo, tag: payloadTag, pullPolicy: 'Never' } },
  inject: { otlpEndpoint: receiver.url },
  telemetry: { otlpEndpoint: receiver.url },
  certificates: { mode: 'secret', secret: { name: TLS_SECRET, caBundle: ca.certPem } },
  tests: { namespace: ON },
};
const valuesFile = join(node.cp.dir, 'values.yaml');
await writeFile(valuesFile, JSON.stringify(values, null, 2)); // JSON is YAML

const ready = (p: V1Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const byComponent = async (component: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: `otel-injector.io/component=${component}` })).items;

await t.test('helm install (certificate mode secret) --wait: the webhook and controller Deployments Ready on the kubelet', async (tt) => {
  const t0 = Date.now();
  const out = await helm(node.cp, ['install', RELEASE, 'charts/otel-injector', '-n', RELEASE_NAMESPACE, '--create-namespace', '-f', valuesFile, '--wait', '--timeout', '240s']);
  timings['helm install --wait'] = secs(Date.now() - t0);
  tt.match(out, /STATUS: deployed/, 'helm reports the release deployed');
  for (const [component, want] of [['webhook', 2], ['controller', 2]] as const) {
    const pods = await byComponent(component);
    tt.equal(pods.filter(ready).length, want, `${want} ${component} pods Ready`);
    tt.ok(pods.every((p) => p.spec?.containers[0]?.image === `${WEBHOOK_REPOSITORY}:dev`), `the ${component} runs the image built from the Dockerfile`);
    tt.ok(pods.every((p) => (p.status?.containerStatuses ?? []).every((c) => c.restartCount === 0)), `no ${component} container restarted`);
  }
  const mwc = await admission.readMutatingWebhookConfiguration({ name: RELEASE });
  const cc = mwc.webhooks?.[0]?.clientConfig;
  tt.same(cc?.service && { name: cc.service.name, namespace: cc.service.namespace }, { name: RELEASE, namespace: RELEASE_NAMESPACE }, 'the API server is told to call the Service');
  tt.equal(cc?.url, undefined, 'no url clientConfig');
  tt.equal(Buffer.from(cc?.caBundle ?? '', 'base64').toString(), ca.certPem.trim(), 'caBundle is the user\'s CA');
  const slices = await discovery.listNamespacedEndpointSlice({ namespace: RELEASE_NAMESPACE, labelSelector: `kubernetes.io/service-name=${RELEASE}` });
  const endpoints = slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses));
  const webhookIps = (await byComponent('webhook')).map((p) => p.status?.podIP).sort();
  tt.same(endpoints.sort(), webhookIps, 'the Service\'s ready endpoints are the webhook pods (what the API server dials)');
});

await t.test('a Deployment in a labelled namespace is injected through the Service: init container exit 0, Ready, telemetry', async (tt) => {
  const rollout = await deployAndWait(apps, core, ON, appDeployment('chart-app', { env: { OTEL_BSP_SCHEDULE_DELAY: '500' } }));
  timings['chart-app create -> Ready'] = secs(rollout.readyMs);
  const pod = rollout.pod;
  tt.match(pod.metadata?.annotations?.[STATUS_ANNOTATION], /^injected: \S*node/, 'status: injected (node), by the webhook pods: no other webhook runs');
  const init = pod.status?.initContainerStatuses?.[0];
  tt.equal(pod.spec?.initContainers?.[0]?.image, PAYLOAD_IMAGE, 'the init container runs the chart\'s payload image');
  tt.equal(init?.state?.terminated?.exitCode, 0, 'init container exited 0');
  const app = pod.status?.containerStatuses?.find((c) => c.name === 'app');
  tt.equal(app?.ready, true, 'app Ready');
  tt.equal(app?.restartCount, 0, 'app never restarted');
  tt.equal((await get(`http://${pod.status?.podIP ?? ''}:${APP_PORT}/work`)).status, 200, 'the app serves');
  const state = await receiver.waitFor((s) => s.spans.some((x) => x.resource['k8s.pod.uid'] === pod.metadata?.uid && x.kind === 2), 30_000).catch(() => receiver);
  const span = state.spans.find((x) => x.resource['k8s.pod.uid'] === pod.metadata?.uid && x.kind === 2);
  tt.equal(span?.resource['service.name'], 'chart-app', 'its server span reached the OTLP receiver: service.name is the Deployment name');
  const logs = await Promise.all((await byComponent('webhook')).map((p) => core.readNamespacedPodLog({ name: p.metadata?.name ?? '', namespace: RELEASE_NAMESPACE })));
  const reviews = logs.flatMap((l) => l.split('\n')).filter((l) => l.includes('"msg":"review"') && l.includes(`"namespace":"${ON}"`));
  tt.ok(reviews.length > 0, `a webhook pod logged its review of the ${ON} pod: ${reviews[0] ?? logs.join('\n').slice(-1500)}`);
});

await t.test('the controller reached the API server through the `kubernetes` Service and holds the Lease', async (tt) => {
  const leaders = [];
  for (const p of await byComponent('controller')) {
    const env = p.spec?.containers[0]?.env ?? [];
    tt.notOk(env.some((e) => e.name.startsWith('KUBERNETES_SERVICE')), `${p.metadata?.name ?? ''}: no env override, the in-cluster client uses the kubelet's KUBERNETES_SERVICE_HOST`);
    tt.ok(relay.clients().includes(p.status?.podIP ?? '-'), `${p.metadata?.name ?? ''} connected to the \`kubernetes\` Service address (the relay saw its pod IP)`);
    const res = await get(`http://${p.status?.podIP ?? ''}:8080/readyz`);
    tt.equal(res.status, 200, `${p.metadata?.name ?? ''} /readyz 200: its watches listed everything`);
    if ((JSON.parse(res.body) as { leader?: boolean }).leader === true) leaders.push(p.metadata?.name);
  }
  tt.equal(leaders.length, 1, 'exactly one controller leads');
});

await t.test('helm test: the chart\'s selftest pod dry-runs a pod through the webhook and passes', async (tt) => {
  const t0 = Date.now();
  const out = await helm(node.cp, ['test', RELEASE, '-n', RELEASE_NAMESPACE, '--logs', '--timeout', '120s']);
  timings['helm test'] = secs(Date.now() - t0);
  tt.match(out, /Phase:\s+Succeeded/, 'the test hook succeeded');
  const pod = await core.readNamespacedPod({ name: `${RELEASE}-test`, namespace: RELEASE_NAMESPACE });
  tt.equal(pod.status?.phase, 'Succeeded', 'the test pod ran on the kubelet and exited 0');
  tt.ok(relay.clients().includes(pod.status?.podIP ?? '-'), 'it reached the API server through the `kubernetes` Service address');
});

// issue 26: the delivery modes through the chart (helm upgrade), same node and release
await deliveryCases(t, { cp: node.cp, core, apps, receiver, valuesFile, namespace: ON, timings });

await t.test('teardown restores the host', async (tt) => {
  const t0 = Date.now();
  await helm(node.cp, ['uninstall', RELEASE, '-n', RELEASE_NAMESPACE, '--wait', '--timeout', '60s']);
  const left = await admission.listMutatingWebhookConfiguration();
  tt.same(left.items.map((m) => m.metadata?.name), [], 'helm uninstall removed the MutatingWebhookConfiguration');
  tt.equal((await podsOf(core, ON, 'chart-app')).filter(ready).length, 1, 'the injected workload keeps running');
  await node.teardown();
  timings.teardown = secs(Date.now() - t0);
  const after = await hostSnapshot();
  tt.same(after.links, node.before.links, 'interfaces as before (the Service address went with the bridge)');
  tt.same(after.cgroups, node.before.cgroups, 'no kubepods cgroup left');
  tt.same(after.netns, node.before.netns, 'network namespaces as before');
  t.comment(`timings: ${JSON.stringify({ ...timings, total: secs(Date.now() - started) })}`);
});
