// Issue 21, delivery: the controller (as the chart's ServiceAccount, with exactly the RBAC the chart renders for
// these values, and the env it renders) keeps the collector Secret, composed from the sources of the release
// namespace, in every opted-in namespace of a real kube-apiserver; updates the copies when a source changes;
// deletes a copy when its namespace opts out; leaves the copies alone when a source disappears; never logs a
// value; `doctor`'s collector-secret check finds every copy current, then (the controller stopped, a source
// renewed, a copy deleted) names each stale or missing one in a line of its own; and kube-controller-manager's
// garbage collector removes every copy with the release's MutatingWebhookConfiguration (their owner), as on
// uninstall.
import t from 'tap';
import type { V1Deployment, V1Pod, V1Secret } from '@kubernetes/client-node';
import { AppsV1Api, CoordinationV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { checkCollectorCredentials } from '../../src/cli/doctor-collector.js';
import type { Kube } from '../../src/cli/kube.js';
import { admit, deploymentPod, testConfig } from '../support/admission.js';
import { startControlPlane } from './harness.js';
import { RELEASE_NAMESPACE, parseManifests, pointWebhookAt, renderChart } from './chart.js';
import { INJECT_LABEL, apis, applyWebhookConfig, createNamespace, eventually } from './kube.js';
import { chartControllerKubeconfig, logLines, startController, startControllerManager } from './controller-support.js';
import { loopbackServingCert } from './pki.js';
import { identityHost } from '../../src/controller/identity.js';

const SECRET = 'otel-injector-collector';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB-e2e-ca-one\n-----END CERTIFICATE-----\n';
const CA_PEM_2 = '-----BEGIN CERTIFICATE-----\nMIIB-e2e-ca-two\n-----END CERTIFICATE-----\n';
const CLIENT_KEY = 'client-key-material-e2e-1';
const CLIENT_KEY_2 = 'client-key-material-e2e-2';
const INGESTION_KEY = 'ingest key/e2e-1';
const VALUES = [
  'inject.otlpEndpoint=https://signoz-otel-collector.signoz.svc.cluster.local:4318',
  'collector.ca.configMap.name=signoz-ca',
  'collector.clientCertificate.secretName=signoz-client',
  'collector.headers[0].name=signoz-ingestion-key',
  'collector.headers[0].secretName=signoz-cloud',
  'collector.headers[0].key=ingestion-key',
  'collector.syncSeconds=1',
  'controller.mode=report',
];
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const text = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

const cp = await startControlPlane(t);
const { core, admission } = apis(cp.kubeConfig);
await createNamespace(core, RELEASE_NAMESPACE);
await startControllerManager(t, cp);
const rendered = parseManifests(await renderChart(VALUES));
// The release's MutatingWebhookConfiguration (no webhook behind it: no pod is created here), owner of the copies.
await applyWebhookConfig(admission, pointWebhookAt(rendered, 'https://127.0.0.1:9/mutate', loopbackServingCert('e2e-copy-ca').caPem));
const owner = await admission.readMutatingWebhookConfiguration({ name: 'otel-injector' });

type EnvVar = { name: string; value?: string };
const ctlDeploy = rendered.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-controller')) as unknown as { spec: { template: { spec: { containers: Array<{ env: EnvVar[] }> } } } };
const chartEnv: Record<string, string> = Object.fromEntries((ctlDeploy.spec.template.spec.containers[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
// The chart's env but where the test decides (port, address) and no export of the controller's own telemetry.
for (const name of ['PORT', 'HOST', 'NODE_OPTIONS', 'TELEMETRY_OTLP_ENDPOINT']) delete chartEnv[name];
const env: Record<string, string> = { ...chartEnv, TELEMETRY_OTLP_ENDPOINT: '' };

await core.createNamespacedConfigMap({ namespace: RELEASE_NAMESPACE, body: { metadata: { name: 'signoz-ca' }, data: { 'ca.crt': CA_PEM } } });
await core.createNamespacedSecret({ namespace: RELEASE_NAMESPACE, body: { metadata: { name: 'signoz-client' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('client-cert-e2e-1'), 'tls.key': b64(CLIENT_KEY) } } });
await core.createNamespacedSecret({ namespace: RELEASE_NAMESPACE, body: { metadata: { name: 'signoz-cloud' }, data: { 'ingestion-key': b64(INGESTION_KEY) } } });
await createNamespace(core, 'copy-a', { [INJECT_LABEL]: 'enabled' });
await createNamespace(core, 'copy-b', { [INJECT_LABEL]: 'enabled' });
await createNamespace(core, 'copy-c');
const kubeconfig = await chartControllerKubeconfig(cp, VALUES);
const ctl = await startController(t, cp, 'copy-1', env, kubeconfig);
// A second replica: the standby, which must write nothing while copy-1 leads (started once copy-1 holds the Lease).
const coordination = cp.kubeConfig.makeApiClient(CoordinationV1Api);
const holder = async (): Promise<string> => identityHost((await coordination.readNamespacedLease({ name: env.CONTROLLER_LEASE_NAME ?? '', namespace: RELEASE_NAMESPACE }).catch(() => undefined))?.spec?.holderIdentity ?? '');
if ((await eventually(holder, (h) => h === 'copy-1', 30_000)) !== 'copy-1') t.bailout('copy-1 never became the leader');
const standby = await startController(t, cp, 'copy-2', env, kubeconfig);

async function copyIn(namespace: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ name: SECRET, namespace });
  } catch {
    return undefined;
  }
}

t.test('chart env: the controller gets the sources by name only', async (tt) => {
  tt.equal(env.COLLECTOR_CA_CONFIGMAP_NAME, 'signoz-ca');
  tt.equal(env.COLLECTOR_CLIENT_CERT_SECRET, 'signoz-client');
  tt.same(JSON.parse(env.COLLECTOR_HEADER_SOURCES ?? '[]'), [{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'ingestion-key' }]);
  tt.notOk(JSON.stringify(ctlDeploy).includes(CLIENT_KEY), 'no key in the rendered Deployment');
});

t.test('every opted-in namespace gets its copy, labelled and owned by the MutatingWebhookConfiguration', async (tt) => {
  for (const ns of ['copy-a', 'copy-b']) {
    const copy = await eventually(() => copyIn(ns), (s) => s !== undefined, 30_000);
    tt.equal(text(copy?.data?.['ca.crt']), CA_PEM, `${ns}: ca.crt from the ConfigMap`);
    tt.equal(text(copy?.data?.['tls.crt']), 'client-cert-e2e-1', `${ns}: tls.crt`);
    tt.equal(text(copy?.data?.['tls.key']), CLIENT_KEY, `${ns}: tls.key`);
    tt.equal(text(copy?.data?.headers), 'signoz-ingestion-key=ingest%20key%2Fe2e-1', `${ns}: headers, percent-encoded`);
    tt.equal(copy?.metadata?.labels?.['otel-injector.io/collector-copy'], 'otel-injector');
    tt.same(copy?.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [['MutatingWebhookConfiguration', 'otel-injector', owner.metadata?.uid]]);
  }
  tt.equal(await copyIn('copy-c'), undefined, 'a namespace not opted in has none');
  tt.equal(await copyIn(RELEASE_NAMESPACE), undefined, 'nor the release namespace');
});

t.test('a changed source reaches every copy at the next sync', async (tt) => {
  const start = Date.now();
  await core.patchNamespacedSecret({ name: 'signoz-client', namespace: RELEASE_NAMESPACE, body: { data: { 'tls.key': b64(CLIENT_KEY_2) } } }, merge);
  await core.patchNamespacedConfigMap({ name: 'signoz-ca', namespace: RELEASE_NAMESPACE, body: { data: { 'ca.crt': CA_PEM + CA_PEM_2 } } }, merge);
  for (const ns of ['copy-a', 'copy-b']) {
    const copy = await eventually(() => copyIn(ns), (s) => text(s?.data?.['tls.key']) === CLIENT_KEY_2 && text(s?.data?.['ca.crt']) === CA_PEM + CA_PEM_2, 30_000);
    tt.equal(text(copy?.data?.['tls.key']), CLIENT_KEY_2, `${ns}: renewed key`);
  }
  tt.comment(`source change to every copy: ${Date.now() - start} ms (collector.syncSeconds=1)`);
});

t.test('a namespace that opts in gets a copy; one that opts out loses it; a hand-made copy is taken over', async (tt) => {
  await createNamespace(core, 'copy-d');
  await core.createNamespacedSecret({ namespace: 'copy-d', body: { metadata: { name: SECRET }, stringData: { 'ca.crt': 'made by hand, stale' } } });
  await core.patchNamespace({ name: 'copy-d', body: { metadata: { labels: { [INJECT_LABEL]: 'enabled' } } } }, merge);
  await core.patchNamespace({ name: 'copy-c', body: { metadata: { labels: { [INJECT_LABEL]: 'enabled' } } } }, merge);
  await core.patchNamespace({ name: 'copy-b', body: { metadata: { labels: { [INJECT_LABEL]: null } } } }, merge);
  tt.ok(await eventually(() => copyIn('copy-c'), (s) => s !== undefined, 30_000), 'copy-c has its copy');
  tt.equal(await eventually(() => copyIn('copy-b'), (s) => s === undefined, 30_000), undefined, 'copy-b no longer has one');
  const taken = await eventually(() => copyIn('copy-d'), (s) => s?.metadata?.labels?.['otel-injector.io/collector-copy'] !== undefined, 30_000);
  tt.equal(text(taken?.data?.['tls.key']), CLIENT_KEY_2, 'the hand-made Secret now holds the composed data');
  tt.equal(taken?.metadata?.ownerReferences?.[0]?.uid, owner.metadata?.uid, 'and is owned like every copy');
});

t.test('a source that disappears leaves the copies as they are, said once', async (tt) => {
  await core.deleteNamespacedSecret({ name: 'signoz-cloud', namespace: RELEASE_NAMESPACE });
  const said = await eventually(async () => logLines(ctl.proc).filter((l) => String(l.msg).includes('signoz-cloud not found')), (l) => l.length > 0, 30_000);
  await new Promise((r) => setTimeout(r, 2500));
  tt.equal(logLines(ctl.proc).filter((l) => String(l.msg).includes('signoz-cloud not found')).length, 1, 'one warning');
  tt.match(String(said[0]?.msg), /header signoz-ingestion-key: Secret otel-injector\/signoz-cloud not found: the copies are left as they are/);
  const copy = await copyIn('copy-a');
  tt.equal(text(copy?.data?.headers), 'signoz-ingestion-key=ingest%20key%2Fe2e-1', 'the header key is still there');
});

t.test('nothing secret in the controller log', async (tt) => {
  const log = ctl.proc.tail(1_000_000);
  tt.ok(log.includes('collector secret: copy written'), 'copies are logged');
  for (const secret of [CLIENT_KEY, CLIENT_KEY_2, INGESTION_KEY, encodeURIComponent(INGESTION_KEY), b64(CLIENT_KEY), b64(CLIENT_KEY_2), b64(INGESTION_KEY), 'MIIB-e2e']) tt.notOk(log.includes(secret), `no ${secret.slice(0, 12)}… in the log`);
});

t.test('only the leader writes: the standby logged no copy', async (tt) => {
  tt.same(logLines(standby.proc).filter((l) => String(l.msg).startsWith('collector secret:')), []);
  tt.ok(logLines(ctl.proc).some((l) => String(l.msg).startsWith('collector secret: copy')), 'the leader did');
});

t.test('doctor: every copy current; with the controller stopped and a source renewed, one line per stale or missing copy, no value', async (tt) => {
  // The source deleted above, back with the value the copies hold; the chart's controller Deployment (not run:
  // no replica) is where doctor reads the sources' names.
  await core.createNamespacedSecret({ namespace: RELEASE_NAMESPACE, body: { metadata: { name: 'signoz-cloud' }, data: { 'ingestion-key': b64(INGESTION_KEY) } } });
  const appsApi = cp.kubeConfig.makeApiClient(AppsV1Api);
  const deployment = ctlDeploy as unknown as V1Deployment;
  await appsApi.createNamespacedDeployment({ namespace: RELEASE_NAMESPACE, body: { ...deployment, spec: { ...(deployment.spec as NonNullable<V1Deployment['spec']>), replicas: 0 } } });
  const kube = { server: '', context: 'e2e', namespace: 'default', core, admission, apps: appsApi } as unknown as Kube;
  // the pod as the webhook would inject it with the chart's values (the dry run doctor makes)
  const pod = admit(deploymentPod(), testConfig({ INJECT_OTLP_ENDPOINT: 'https://signoz-otel-collector.signoz.svc.cluster.local:4318', INJECT_COLLECTOR_CA: 'true', INJECT_COLLECTOR_CLIENT_CERT: 'true', INJECT_COLLECTOR_HEADERS: 'true' })).pod as V1Pod;
  const release = { namespace: RELEASE_NAMESPACE, controllerName: 'otel-injector-controller' };
  const optedIn = ['copy-a', 'copy-c', 'copy-d'];
  const lines = async (): Promise<string[]> => (await checkCollectorCredentials(kube, pod, optedIn, release, new Date(), 2000)).filter((f) => f.check === 'collector-secret').map((f) => `${f.result} ${f.message}`);
  tt.same(await lines(), ['pass Secret otel-injector-collector (keys ca.crt, headers, tls.crt, tls.key) is in each of the 3 opted-in namespace(s), current with its sources in otel-injector']);

  await standby.proc.stop();
  await ctl.proc.stop();
  await core.patchNamespacedSecret({ name: 'signoz-client', namespace: RELEASE_NAMESPACE, body: { data: { 'tls.key': b64('client-key-material-e2e-3') } } }, merge);
  await core.deleteNamespacedSecret({ name: SECRET, namespace: 'copy-d' });
  const found = await lines();
  tt.same(found, [
    'fail copy-a: Secret otel-injector-collector is stale: tls.key differs from the sources in otel-injector (compared by SHA-256)',
    'fail copy-c: Secret otel-injector-collector is stale: tls.key differs from the sources in otel-injector (compared by SHA-256)',
    'fail copy-d: no Secret otel-injector-collector: its pods export without their collector credentials',
  ]);
  for (const secret of [CLIENT_KEY_2, 'client-key-material-e2e-3', b64(CLIENT_KEY_2), INGESTION_KEY, 'MIIB-e2e']) tt.notOk(found.join('\n').includes(secret), `no ${secret.slice(0, 12)}… in doctor's lines`);
});

t.test('deleting the MutatingWebhookConfiguration (uninstall) garbage-collects every copy', async (tt) => {
  await standby.proc.stop();
  await ctl.proc.stop();
  await admission.deleteMutatingWebhookConfiguration({ name: 'otel-injector' });
  for (const ns of ['copy-a', 'copy-c', 'copy-d']) tt.equal(await eventually(() => copyIn(ns), (s) => s === undefined, 60_000), undefined, `${ns}: copy removed`);
});
