// doctor's ca-bundle check on a real API server (etcd + kube-apiserver on loopback) holding the chart's own
// Deployment, Service and MutatingWebhookConfiguration as `helm template` renders them, in the certificate modes
// where the certificate sits in a Secret: `secret` (certificates.secret.name, which doctor used to miss) and
// `self-managed` with certificates.selfManaged.secretName. No kubelet runs: the Deployment is only read. The
// Secrets hold real certificates for the Service's names; doctor must read the one the Deployment uses.
import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { issueCa, issueServingCert, serviceHosts, type IssuedPair } from '../../../src/certs/issue.js';
import { startControlPlane } from '../../e2e/harness.js';
import { nonHooks, parseManifests, RELEASE, RELEASE_NAMESPACE, renderChart, type Manifest } from '../../e2e/chart.js';
import { apis, applyWebhookConfig, createNamespace } from '../../e2e/kube.js';
import { cliProcess } from '../helpers.js';

const cp = await startControlPlane(t);
const { core, admission } = apis(cp.kubeConfig);
const appsApi = cp.kubeConfig.makeApiClient(AppsV1Api);
const home = await mkdtemp(join(cp.dir, 'home-'));
await createNamespace(core, RELEASE_NAMESPACE);

const now = new Date();
const authority = await issueCa({ commonName: 'webhook ca', validityDays: 1, now });
const stranger = await issueCa({ commonName: 'some other ca', validityDays: 1, now });
const serving = await issueServingCert(authority, { hosts: serviceHosts(RELEASE, RELEASE_NAMESPACE), validityDays: 1, now });
const foreign = await issueServingCert(stranger, { hosts: serviceHosts(RELEASE, RELEASE_NAMESPACE), validityDays: 1, now });

async function putSecret(name: string, pair: IssuedPair): Promise<void> {
  const body = { metadata: { name }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(pair.certPem).toString('base64'), 'tls.key': Buffer.from(pair.keyPem).toString('base64') } };
  await core.deleteNamespacedSecret({ name, namespace: RELEASE_NAMESPACE }).catch(() => undefined);
  await core.createNamespacedSecret({ namespace: RELEASE_NAMESPACE, body });
}

/** Installs what doctor reads: the webhook Deployment, its Service, the configuration with `caBundle`. */
async function install(values: string[], caPem: string): Promise<void> {
  const manifests = parseManifests(await renderChart(values));
  const of = (kind: string): Manifest[] => nonHooks(manifests).filter((m) => m.kind === kind);
  for (const d of of('Deployment')) {
    await appsApi.deleteNamespacedDeployment({ name: d.metadata.name, namespace: RELEASE_NAMESPACE }).catch(() => undefined);
    await appsApi.createNamespacedDeployment({ namespace: RELEASE_NAMESPACE, body: d as unknown as V1Deployment });
  }
  for (const s of of('Service')) {
    await core.deleteNamespacedService({ name: s.metadata.name, namespace: RELEASE_NAMESPACE }).catch(() => undefined);
    await core.createNamespacedService({ namespace: RELEASE_NAMESPACE, body: s as unknown as V1Service });
  }
  const mwc = structuredClone(of('MutatingWebhookConfiguration')[0]) as unknown as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
  for (const w of mwc.webhooks) w.clientConfig.caBundle = Buffer.from(caPem).toString('base64');
  await applyWebhookConfig(admission, mwc as never);
}

async function caBundleLine(): Promise<string> {
  const ran = await cliProcess(['doctor', '--timeout', '3', '--webhook-config', RELEASE], { HOME: home, KUBECONFIG: cp.kubeconfigPath });
  return ran.stdout.split('\n').find((line) => / ca-bundle /.test(line)) ?? `no ca-bundle line:\n${ran.stdout}${ran.stderr}`;
}

void t.test('secret mode: the Secret named by certificates.secret.name, not <fullname>-tls', async (t) => {
  await install(['certificates.mode=secret', 'certificates.secret.name=corp-webhook-tls', `certificates.secret.caBundle=${Buffer.from(authority.certPem).toString('base64')}`], authority.certPem);
  await putSecret(`${RELEASE}-tls`, foreign); // what the old guess read
  await putSecret('corp-webhook-tls', serving);
  const pass = await caBundleLine();
  t.match(pass, new RegExp(`^PASS +ca-bundle +caBundle verifies the serving certificate Deployment ${RELEASE_NAMESPACE}/${RELEASE} uses \\(Secret ${RELEASE_NAMESPACE}/corp-webhook-tls key tls\\.crt\\) for ${RELEASE}\\.${RELEASE_NAMESPACE}\\.svc`));

  await putSecret('corp-webhook-tls', foreign);
  const fail = await caBundleLine();
  t.match(fail, /^FAIL +ca-bundle +caBundle does not verify the serving certificate .*corp-webhook-tls.*did not sign the served certificate/);
});

void t.test('self-managed with certificates.selfManaged.secretName', async (t) => {
  await install(['certificates.selfManaged.secretName=own-webhook-tls'], authority.certPem);
  await putSecret('own-webhook-tls', serving);
  const pass = await caBundleLine();
  t.match(pass, /^PASS +ca-bundle +caBundle verifies the serving certificate Deployment .* uses \(Secret otel-injector\/own-webhook-tls key tls\.crt\)/);
  await core.deleteNamespacedSecret({ name: 'own-webhook-tls', namespace: RELEASE_NAMESPACE });
  const missing = await caBundleLine();
  t.match(missing, /^FAIL +ca-bundle +.*Secret otel-injector\/own-webhook-tls key tls\.crt \(CERT_MODE self-managed, CERT_SECRET_NAME own-webhook-tls\), which does not exist/);
});
