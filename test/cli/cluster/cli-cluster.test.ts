// The command line against the e2e suite's real API server (etcd + kube-apiserver on loopback) and the
// webhook from dist/: preview's pod equals the pod the API server stores through the webhook, field by
// field; status and doctor on a healthy install and on four broken ones; the cluster error cases.
import t from 'tap';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscoveryV1Api, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { parseConfig } from '../../../src/config/index.js';
import { parseManifestText } from '../../../src/cli/manifests.js';
import { previewWorkload } from '../../../src/cli/preview-core.js';
import { admittedPod, type AdmittedWorkload } from '../../../src/cli/workloads.js';
import { startControlPlane, startWebhook, type Webhook } from '../../e2e/harness.js';
import { parseManifests, pointWebhookAt, renderChart, RELEASE_NAMESPACE } from '../../e2e/chart.js';
import { INJECT_LABEL, apis, applyWebhookConfig, createNamespace, deploymentPod, eventually, isInjected } from '../../e2e/kube.js';
import { loopbackServingCert } from '../../e2e/pki.js';
import { cliProcess, fixture, FIXED_NOW, type Obj, type Ran } from '../helpers.js';
import { helmTemplate, webappChart } from '../helm.js';

const WEBHOOK_ENV = { INJECT_PAYLOAD_IMAGE: 'registry.invalid/e2e/otel-preload:e2e' };

const cp = await startControlPlane(t);
const { core, admission } = apis(cp.kubeConfig);
const discovery = cp.kubeConfig.makeApiClient(DiscoveryV1Api);
/**
 * startWebhook waits 30 s for /readyz; on this shared 2-core machine (load 12+) a start has taken longer,
 * so one more try before failing. Each try's process is stopped at teardown by startWebhook itself.
 */
async function startPatiently(logName: string): Promise<Webhook> {
  try {
    return await startWebhook(t, cp.dir, { env: WEBHOOK_ENV, logName });
  } catch (error) {
    t.comment(`webhook start retried: ${(error as Error).message.split('\n')[0] ?? ''}`);
    return startWebhook(t, cp.dir, { env: WEBHOOK_ENV, logName: `${logName}-retry` });
  }
}

let webhook: Webhook = await startPatiently('webhook');
const rendered = parseManifests(await renderChart());
const home = await mkdtemp(join(cp.dir, 'home-'));

async function pointAt(current: Webhook, caPem = current.caPem): Promise<void> {
  await applyWebhookConfig(admission, pointWebhookAt(rendered, `${current.url}/mutate`, caPem));
}

async function probe(): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace: 'shop', body: deploymentPod('probe'), dryRun: 'All' });
}

/** Runs the built CLI; with CLI_TRANSCRIPT=FILE each run is appended there (the README's pasted output). */
async function kubectlPlugin(argv: string[], env: Record<string, string> = {}): Promise<Ran> {
  const ran = await cliProcess(argv, { HOME: home, KUBECONFIG: cp.kubeconfigPath, ...env });
  const transcript = process.env.CLI_TRANSCRIPT;
  if (transcript !== undefined) await appendFile(transcript, `$ otel-injector ${argv.join(' ')}\n${ran.stdout}${ran.stderr}(exit ${ran.code})\n\n`);
  return ran;
}

await createNamespace(core, 'shop', { [INJECT_LABEL]: 'enabled' });
await createNamespace(core, 'bakery-ia', { [INJECT_LABEL]: 'enabled' });
await createNamespace(core, 'plain');
await createNamespace(core, RELEASE_NAMESPACE);
// The collector the injected pods are pointed at (the chart default): a Service and an EndpointSlice
// with one ready endpoint, written by hand as no controller runs here. Nothing connects to its address.
await createNamespace(core, 'signoz');
await core.createNamespacedService({ namespace: 'signoz', body: { metadata: { name: 'signoz-otel-collector' }, spec: { ports: [{ name: 'otlp-http', port: 4318 }] } } });
await discovery.createNamespacedEndpointSlice({
  namespace: 'signoz',
  body: {
    metadata: { name: 'signoz-otel-collector-1', labels: { 'kubernetes.io/service-name': 'signoz-otel-collector' } },
    addressType: 'IPv4',
    ports: [{ name: 'otlp-http', port: 4318 }],
    endpoints: [{ addresses: ['10.244.0.17'], conditions: { ready: true } }],
  },
});
await pointAt(webhook);
if (!isInjected(await eventually(probe, isInjected))) t.bailout(`webhook never became active:\n${webhook.proc.tail()}`);

const SERVER_SET = ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'managedFields'];

function normalized(pod: V1Pod): Obj {
  const copy = structuredClone(pod) as Obj;
  for (const key of SERVER_SET) delete copy.metadata[key];
  delete copy.status;
  return copy;
}

async function workloadsUnderTest(): Promise<AdmittedWorkload[]> {
  const sources = [
    { text: await helmTemplate(4, webappChart, 'shop', 'shop'), name: 'webapp (helm 4, standalone)' },
    { text: await helmTemplate(3, webappChart, 'cart', 'shop', { architecture: 'replication', backup: { enabled: true }, sidecars: [{ name: 'metrics', image: 'registry.invalid/exporter:1' }] }), name: 'webapp (helm 3, replication)' },
    { text: await readFile(fixture('workloads.yaml'), 'utf8'), name: 'workloads.yaml' },
    { text: await readFile(fixture('list.json'), 'utf8'), name: 'list.json' },
  ];
  const out: AdmittedWorkload[] = [];
  for (const source of sources) {
    for (const item of parseManifestText(source.text, source.name)) {
      const admitted = admittedPod(item, { namespace: 'shop', now: FIXED_NOW });
      if (admitted.type === 'workload') out.push(admitted);
    }
  }
  return out;
}

t.test('preview: the pod equals the one the API server stores through the webhook, field by field', async (t) => {
  const config = parseConfig(WEBHOOK_ENV, '0.1.0').inject;
  const workloads = await workloadsUnderTest();
  t.equal(workloads.length, 10, 'Deployment x2, StatefulSet x2, CronJob x2, DaemonSet, Job, ReplicaSet, Pod');
  for (const workload of workloads) {
    const label = `${workload.kind} ${workload.namespace}/${workload.name}`;
    const preview = previewWorkload(workload, config);
    const stored = await core.createNamespacedPod({ namespace: workload.namespace, body: structuredClone(workload.pod) as V1Pod });
    // The same server-side defaulting for the preview's pod: created (dry run) where the webhook is not called.
    const body = structuredClone(preview.admitted) as Obj;
    body.metadata.namespace = 'plain';
    const previewed = await core.createNamespacedPod({ namespace: 'plain', body: body as V1Pod, dryRun: 'All' });
    t.same(normalized(stored), normalized(previewed), `${label}: ${preview.decision}`);
    t.equal(stored.metadata?.annotations?.['otel-injector.io/status'], preview.decision === 'injected' ? 'injected: node,python' : undefined, `${label}: status`);
  }
});

t.test('status and doctor: a healthy install', async (t) => {
  const doctor = await kubectlPlugin(['doctor']);
  t.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  for (const check of ['webhook-config', 'failure-policy', 'ca-bundle', 'dry-run', 'pods', 'collector', 'metrics']) {
    t.match(doctor.stdout, new RegExp(`^PASS  ${check} `, 'm'), `${check} passes`);
  }
  t.match(doctor.stdout, /^SKIP  service +the webhook is called by URL https:\/\/127\.0\.0\.1:\d+\/mutate: no Service involved$/m);
  t.match(doctor.stdout, /PASS  collector +collector endpoint http:\/\/signoz-otel-collector\.signoz\.svc\.cluster\.local:4318: Service signoz\/signoz-otel-collector port 4318 has 1 ready endpoint\(s\)/);
  t.match(doctor.stdout, /^healthy: 9 checks, 0 warning\(s\)$/m);
  const status = await kubectlPlugin(['status', '-n', 'shop']);
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout, /^namespace shop: opted in; 9 pods: 8 injected, 1 bypassed$/m);
  t.match(status.stdout, /^Deployment\/shop-webapp +shop-webapp-\w+-\w{5} +injected +e2e +node,python$/m);
  t.match(status.stdout, /^ReplicaSet\/legacy-rs +legacy-rs-\w{5} +bypassed +- +annotation otel-injector\.io\/inject=false$/m);
  const json = JSON.parse((await kubectlPlugin(['status', '-A', '-o', 'json'])).stdout) as Obj;
  t.same(json.namespaces.map((n: Obj) => [n.name, n.optedIn]), [['bakery-ia', true], ['shop', true]], 'only namespaces that are opted in or have seen pods');
});

t.test('an unlabelled namespace is reported', async (t) => {
  await core.createNamespacedPod({ namespace: 'plain', body: deploymentPod('catalog') });
  const status = await kubectlPlugin(['status', '-n', 'plain']);
  t.equal(status.code, 0);
  t.match(status.stdout, /^namespace plain: NOT opted in \(pods are never sent to the webhook\); 1 pods: 1 not-opted-in$/m);
  const doctor = await kubectlPlugin(['doctor', '-n', 'plain']);
  t.equal(doctor.code, 1);
  t.match(doctor.stdout, /^FAIL  namespace +namespace plain is not selected by the webhook \(needs otel-injector\.io\/inject in \(enabled\),kubernetes\.io\/metadata\.name notin \(otel-injector,kube-system\)\): its pods are never instrumented$/m);
  t.match(doctor.stdout, /fix: kubectl label namespace plain otel-injector\.io\/inject=enabled/);
});

t.test('a wrong caBundle is reported', async (t) => {
  const other = loopbackServingCert('not-the-webhook-ca');
  await pointAt(webhook, other.caPem);
  await eventually(probe, (pod) => !isInjected(pod));
  const doctor = await kubectlPlugin(['doctor']);
  t.equal(doctor.code, 1);
  t.match(doctor.stdout, /^FAIL  ca-bundle +caBundle does not verify the certificate served at https:\/\/127\.0\.0\.1:\d+: the caBundle \(.*CN=not-the-webhook-ca.*\) did not sign the served certificate \(issuer .*CN=e2e-webhook-ca.*\)$/m);
  t.match(doctor.stdout, /^FAIL  dry-run +a dry-run pod in bakery-ia came back untouched: the API server could not call the webhook and failed open$/m);
  await pointAt(webhook);
  await eventually(probe, isInjected);
});

t.test('a pod created while the webhook was down is reported', async (t) => {
  await webhook.stop();
  const late = await core.createNamespacedPod({ namespace: 'shop', body: deploymentPod('late') });
  t.notOk(isInjected(late), 'failurePolicy Ignore: created uninstrumented');
  webhook = await startPatiently('webhook-restarted');
  await pointAt(webhook);
  await eventually(probe, isInjected);
  const status = await kubectlPlugin(['status', '-n', 'shop']);
  t.match(status.stdout, new RegExp(`^Deployment/late +${late.metadata?.name ?? ''} +not-seen +- +no otel-injector\\.io/status: created while the webhook was down`, 'm'));
  t.match(status.stdout, /^namespace shop: opted in; 10 pods: 8 injected, 1 bypassed, 1 not-seen$/m);
  const doctor = await kubectlPlugin(['doctor']);
  t.equal(doctor.code, 1);
  t.match(doctor.stdout, new RegExp(`^FAIL  pods +1 pod\\(s\\) in opted-in namespaces were never seen by the webhook .*: shop/${late.metadata?.name ?? ''} \\(Deployment/late\\)$`, 'm'));
  t.match(doctor.stdout, /fix: recreate them: kubectl rollout restart/);
  await core.deleteNamespacedPod({ name: late.metadata?.name ?? '', namespace: 'shop' });
});

t.test('a deleted Service is reported', async (t) => {
  // The chart's own configuration (service reference) with a caBundle, and its Service created then deleted.
  // Nothing may route to the Service's ClusterIP here: the configuration is applied only after the deletion.
  const service = structuredClone(rendered.find((m) => m.kind === 'Service')) as unknown as V1Service;
  await core.createNamespacedService({ namespace: RELEASE_NAMESPACE, body: service });
  await core.deleteNamespacedService({ name: service.metadata?.name ?? '', namespace: RELEASE_NAMESPACE });
  await sleep(2000);
  const mwc = structuredClone(rendered.find((m) => m.kind === 'MutatingWebhookConfiguration')) as Obj;
  for (const w of mwc.webhooks) w.clientConfig.caBundle = Buffer.from(webhook.caPem).toString('base64');
  await applyWebhookConfig(admission, mwc);
  await eventually(probe, (pod) => !isInjected(pod));
  const doctor = await kubectlPlugin(['doctor']);
  t.equal(doctor.code, 1);
  t.match(doctor.stdout, /^PASS  webhook-config +MutatingWebhookConfiguration otel-injector: webhook inject\.otel-injector\.io calls service otel-injector\/otel-injector:443\/mutate for pod CREATE$/m);
  t.match(doctor.stdout, /^FAIL  service +Service otel-injector\/otel-injector not found: the API server cannot call the webhook, pods are created uninstrumented$/m);
  t.match(doctor.stdout, /^FAIL  dry-run +a dry-run pod in bakery-ia came back untouched: the API server could not call the webhook and failed open$/m);
  t.match(doctor.stdout, /^SKIP  metrics /m);
  await pointAt(webhook);
  await eventually(probe, isInjected);
});

t.test('cluster errors: one message and an exit code, never a stack trace', async (t) => {
  const noConfig = await cliProcess(['status'], { HOME: home });
  t.equal(noConfig.code, 3);
  t.equal(noConfig.stderr, `otel-injector: no kubeconfig: looked at ${home}/.kube/config; set KUBECONFIG or pass --kubeconfig FILE\n`);
  const badContext = await kubectlPlugin(['status', '--context', 'prod']);
  t.equal(badContext.code, 2);
  t.equal(badContext.stderr, 'otel-injector: --context prod: not in the kubeconfig (contexts: e2e)\n');
  // unreachable: the same kubeconfig with a loopback port nothing listens on (one just released; not a
  // port fetch refuses outright, such as 1)
  const closed = join(cp.dir, 'kubeconfig-closed');
  const text = await readFile(cp.kubeconfigPath, 'utf8');
  const port = await releasedPort();
  await writeFile(closed, text.replace(cp.server, `https://127.0.0.1:${port}`));
  for (const command of ['status', 'doctor']) {
    const ran = await kubectlPlugin([command, '--kubeconfig', closed]);
    t.equal(ran.code, 4, `${command}: exit 4`);
    t.match(ran.stderr, new RegExp(`^otel-injector: cannot reach the API server https://127\\.0\\.0\\.1:${port} \\(context "e2e"\\): ECONNREFUSED: .*\\n$`));
  }
  // forbidden: a ServiceAccount token without any RBAC binding
  await core.createNamespacedServiceAccount({ namespace: 'shop', body: { metadata: { name: 'nobody' } } });
  const token = await core.createNamespacedServiceAccountToken({ name: 'nobody', namespace: 'shop', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const forbiddenConfig = join(cp.dir, 'kubeconfig-nobody');
  const parsed = JSON.parse(text) as Obj;
  parsed.users = [{ name: 'e2e-admin', user: { token: token.status?.token } }];
  await writeFile(forbiddenConfig, JSON.stringify(parsed));
  const status = await kubectlPlugin(['status', '-n', 'shop', '--kubeconfig', forbiddenConfig]);
  t.equal(status.code, 5, status.stderr);
  t.match(status.stderr, /^otel-injector: forbidden: missing RBAC permission "get namespaces" cluster-wide \(context "e2e"\): namespaces "shop" is forbidden: User "system:serviceaccount:shop:nobody" cannot get resource "namespaces" .*\n$/);
  const doctor = await kubectlPlugin(['doctor', '--kubeconfig', forbiddenConfig]);
  t.equal(doctor.code, 5);
  t.match(doctor.stderr, /^otel-injector: forbidden: missing RBAC permission "get mutatingwebhookconfigurations\.admissionregistration\.k8s\.io" cluster-wide \(context "e2e"\): .*\n$/);
  for (const ran of [noConfig, badContext, status, doctor]) t.notMatch(ran.stderr, /\n\s+at /, 'no stack trace');
});

/** A loopback port that was free a moment ago and has nothing listening now. */
async function releasedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
