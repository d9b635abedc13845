// Case 9: self-managed certificates end to end. The webhook starts with no
// certificate and only the chart's ServiceAccount/RBAC, writes its Secret and
// the caBundle through the API server, and the API server then calls it via
// the chart's service reference.
//
// The API server reaches a service-referenced webhook by resolving the Service
// (kube-apiserver's default ClusterIP resolver) while verifying TLS against
// `<svc>.<ns>.svc`. No kube-proxy runs here and Endpoints may not hold loopback
// addresses, so the chart's ClusterIP Service is replaced by an ExternalName
// Service of the same name pointing at `localhost`; everything else (TLS name,
// caBundle, path) is exercised as in a cluster.
import t from 'tap';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, startWebhook, type Webhook } from './harness.js';
import { RELEASE_NAMESPACE, deploymentEnv, nonHooks, parseManifests, renderChart, withServicePort } from './chart.js';
import { apis, applyWebhookConfig, createNamespace, deploymentPod, envOf, eventually, INJECT_LABEL, isInjected } from './kube.js';
import { kubectlBin } from '../support/tools.js';
import { freePort } from './procs.js';

const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

const cp = await startControlPlane(t);
const { core, admission } = apis(cp.kubeConfig);
const rendered = parseManifests(await renderChart());
const chartEnv = deploymentEnv(rendered, RELEASE_NAMESPACE);
const serviceName = chartEnv.SERVICE_NAME ?? '';
const secretName = chartEnv.CERT_SECRET_NAME ?? '';
const mwcName = chartEnv.WEBHOOK_CONFIG_NAME ?? '';
const port = await freePort();

await createNamespace(core, RELEASE_NAMESPACE);
await createNamespace(core, 'e2e-on', { [INJECT_LABEL]: 'enabled' });

/** A kubeconfig file holding a token of the chart's ServiceAccount: the webhook gets only the chart's RBAC. */
async function serviceAccountKubeconfig(saName: string): Promise<string> {
  const tr = await core.createNamespacedServiceAccountToken({
    name: saName,
    namespace: RELEASE_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server: cp.server, caData: Buffer.from(cp.caPem).toString('base64') }],
    users: [{ name: saName, token: tr.status?.token ?? '' }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user: saName, namespace: RELEASE_NAMESPACE }],
    currentContext: 'e2e',
  });
  const path = join(cp.dir, `kubeconfig-${saName}`);
  await writeFile(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

/** TLS handshake to the webhook as the API server does it: server name `<svc>.<ns>.svc`, trusting only `caPem`. */
function verifiedHandshake(caPem: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: `${serviceName}.${RELEASE_NAMESPACE}.svc`, ca: caPem });
    socket.once('secureConnect', () => {
      socket.end();
      resolve('ok');
    });
    socket.once('error', (err) => resolve(err.message));
  });
}

async function caBundles(): Promise<string[]> {
  const live = await admission.readMutatingWebhookConfiguration({ name: mwcName });
  return (live.webhooks ?? []).map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'));
}

async function secretCa(): Promise<string> {
  const secret = await core.readNamespacedSecret({ name: secretName, namespace: RELEASE_NAMESPACE });
  return Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString('utf8');
}

let webhook: Webhook | undefined;
let kubeconfigPath = '';

function start(): Promise<Webhook> {
  return startWebhook(t, cp.dir, {
    cert: null,
    port,
    logName: 'webhook-self-managed',
    env: { ...chartEnv, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DRAIN_SECONDS: '0', KUBECONFIG: kubeconfigPath },
  });
}

t.test('chart ServiceAccount, RBAC and MutatingWebhookConfiguration installed (no caBundle)', async (tt) => {
  tt.equal(chartEnv.CERT_MODE, 'self-managed', 'chart defaults to self-managed certificates');
  const rbac = nonHooks(rendered).filter((m) => RBAC_KINDS.has(m.kind));
  tt.ok(rbac.some((m) => m.kind === 'ServiceAccount'), 'chart renders a ServiceAccount');
  const file = join(cp.dir, 'rbac.json');
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
  await promisify(execFile)(await kubectlBin(), ['--kubeconfig', cp.kubeconfigPath, 'apply', '-f', file]);
  const sa = rbac.find((m) => m.kind === 'ServiceAccount')?.metadata.name ?? '';
  kubeconfigPath = await serviceAccountKubeconfig(sa);

  const mwc = withServicePort(rendered, port);
  tt.same(mwc.webhooks?.map((w) => w.clientConfig.caBundle), mwc.webhooks?.map(() => undefined), 'rendered without caBundle');
  tt.equal(mwc.webhooks?.[0]?.clientConfig.service?.name, serviceName, 'service reference names the webhook Service');
  await applyWebhookConfig(admission, mwc);
  await core.createNamespacedService({
    namespace: RELEASE_NAMESPACE,
    body: {
      metadata: { name: serviceName },
      spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port, protocol: 'TCP' }] },
    },
  });
});

t.test('9: webhook issues its Secret and caBundle through the API server, then gets called', async (tt) => {
  webhook = await start(); // resolves once /readyz is 200, i.e. the caBundle trusts its certificate
  const ca = await secretCa();
  tt.match(ca, /-----BEGIN CERTIFICATE-----/, `Secret ${secretName} holds the CA`);
  const bundles = await caBundles();
  tt.ok(bundles.length > 0 && bundles.every((b) => b.includes(ca.trim())), 'caBundle carries the Secret CA');
  tt.equal(await verifiedHandshake(bundles[0] ?? ''), 'ok', 'served certificate verifies against caBundle for <svc>.<ns>.svc');

  const dry = await eventually(
    () => core.createNamespacedPod({ namespace: 'e2e-on', body: deploymentPod('selfmanaged'), dryRun: 'All' }),
    isInjected,
  );
  tt.ok(isInjected(dry), 'API server called the webhook through the service reference');
  const pod = await core.createNamespacedPod({ namespace: 'e2e-on', body: deploymentPod('selfmanaged') });
  const stored = await core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: 'e2e-on' });
  tt.ok(isInjected(stored), 'stored pod injected');
  tt.equal(envOf(stored, 'app', 'OTEL_SERVICE_NAME'), 'selfmanaged', 'service name from the Deployment');
  tt.equal(stored.spec?.initContainers?.[0]?.image, chartEnv.INJECT_PAYLOAD_IMAGE, 'preload image from the chart');
});

t.test('9: a restarted webhook reuses the Secret: same CA, still called', async (tt) => {
  const before = await secretCa();
  await webhook?.stop();
  webhook = await start();
  tt.equal(await secretCa(), before, 'CA unchanged');
  tt.equal(await verifiedHandshake((await caBundles())[0] ?? ''), 'ok', 'served certificate still verifies');
  const dry = await eventually(
    () => core.createNamespacedPod({ namespace: 'e2e-on', body: deploymentPod('again'), dryRun: 'All' }),
    isInjected,
  );
  tt.ok(isInjected(dry), 'injected after restart');
});
