// Self-managed certificates against a real kube-apiserver + etcd (test/e2e/harness.ts).
// 1. In process: the real client (src/k8s/client.ts) against the real API: 409 on create and on a
//    stale resourceVersion, JSON patch `test` failures, replicas converging.
// 2. The built webhook (dist/main.js), two replicas started with no certificate at all and only the
//    RBAC documented in docs/certificates.md (a ServiceAccount token): they write the Secret and the
//    caBundle, and the API server then calls them through a Service reference (TLS name
//    otel-injector.otel-injector.svc, verified against the caBundle). No DNS or kube-proxy runs
//    here, so the API server reaches the Service through an HTTPS_PROXY: a CONNECT proxy in this
//    test that forwards otel-injector.otel-injector.svc:443 to the replicas, round robin. Then: a tampered caBundle is put back, and a forced CA rotation while pods keep
//    being created with failurePolicy Fail.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig, RbacAuthorizationV1Api, type V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { SelfManagedSource } from '../../src/certs/self-managed.js';
import { parseBundle } from '../../src/certs/pem.js';
import { createCertKubeApi } from '../../src/k8s/client.js';
import { KubeApiError } from '../../src/k8s/errors.js';
import type { CertConfig } from '../../src/config/index.js';
import { certClock, captureLogger, httpsGet } from '../certs/helpers.js';
import { startControlPlane, startWebhook, type Webhook } from './harness.js';
import { INJECT_LABEL, apis, createNamespace, deploymentPod, eventually, isInjected } from './kube.js';

const NS = 'otel-injector';
const SECRET = 'otel-injector-tls';
const MWC = 'otel-injector';

// --- a CONNECT proxy standing in for DNS + kube-proxy: the Service -> the webhook replicas ---
const upstreams: number[] = [];
const connects: string[] = [];
let next = 0;
const proxy = createHttpServer();
proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
  connects.push(req.url ?? '');
  const port = upstreams[next++ % Math.max(upstreams.length, 1)];
  if (port === undefined) return client.end('HTTP/1.1 502 No upstream\r\n\r\n');
  const upstream = connect(port, '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
t.teardown(() => proxy.close());

// kube-apiserver inherits this process's environment: Go's ProxyFromEnvironment sends the webhook
// call (to otel-injector.otel-injector.svc:443) through the proxy; loopback (etcd) is not proxied.
const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
process.env.NO_PROXY = '127.0.0.1,localhost';
const cp = await startControlPlane(t);
process.env.HTTPS_PROXY = saved.HTTPS_PROXY;
process.env.NO_PROXY = saved.NO_PROXY;
if (saved.HTTPS_PROXY === undefined) delete process.env.HTTPS_PROXY;
if (saved.NO_PROXY === undefined) delete process.env.NO_PROXY;

const { core, admission } = apis(cp.kubeConfig);
const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
const api = createCertKubeApi(cp.kubeConfig);

function certConfig(namespace: string, webhookConfigName: string): CertConfig {
  return {
    mode: 'self-managed',
    certFile: undefined,
    keyFile: undefined,
    secretName: SECRET,
    namespace,
    serviceName: 'otel-injector',
    webhookConfigName,
    validityDays: 1,
    checkIntervalSeconds: 3600,
  };
}

function webhookConfig(name: string, webhooks: string[], failurePolicy = 'Ignore'): V1MutatingWebhookConfiguration {
  return {
    metadata: { name },
    webhooks: webhooks.map((webhook) => ({
      name: webhook,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy,
      timeoutSeconds: 5,
      clientConfig: { service: { name: 'otel-injector', namespace: NS, path: '/mutate', port: 443 } },
      namespaceSelector: { matchLabels: { [INJECT_LABEL]: 'enabled' } },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }],
    })),
  };
}

async function caBundles(name: string): Promise<string[]> {
  const view = await api.getWebhookConfig(name);
  return (view?.webhooks ?? []).map((w) => w.caBundle ?? '');
}

t.test('real API: create races give 409, stale resourceVersion gives 409, replicas converge', async (t) => {
  await createNamespace(core, 'lib-certs');
  await admission.createMutatingWebhookConfiguration({ body: webhookConfig('lib-certs', ['a.lib.dev', 'b.lib.dev']) });
  const content = { type: 'Opaque', labels: {}, annotations: {}, data: { x: '1' } };
  const created = await api.createSecret('lib-certs', 'race', content);
  const again = await api.createSecret('lib-certs', 'race', content).catch((e: unknown) => e);
  t.ok(again instanceof KubeApiError && again.status === 409, 'second create: 409');
  const patched = await api.patchSecret('lib-certs', 'race', created.resourceVersion, { data: { x: '2' }, annotations: { a: 'b' } });
  t.equal(patched.data.x, '2');
  t.equal(patched.annotations.a, 'b');
  const stale = await api.patchSecret('lib-certs', 'race', created.resourceVersion, { data: { x: '3' }, annotations: {} }).catch((e: unknown) => e);
  t.ok(stale instanceof KubeApiError && stale.status === 409, `stale resourceVersion: 409 (${String(stale)})`);
  t.equal((await api.getSecret('lib-certs', 'race'))?.data.x, '2');

  const log = captureLogger();
  const clock = certClock();
  const replicas = [0, 1, 2].map(
    (i) => new SelfManagedSource({ logger: log.logger.child({ r: i }), clock, api }, certConfig('lib-certs', 'lib-certs'), { overlapMs: 1000 }),
  );
  const began = performance.now();
  const materials = await Promise.all(replicas.map((r) => r.start()));
  t.comment(`3 replicas started against the real API (issue + create/409 + caBundle) in ${Math.round(performance.now() - began)} ms`);
  t.teardown(() => Promise.all(replicas.map((r) => r.stop())));
  const secret = await api.getSecret('lib-certs', SECRET);
  for (const m of materials) t.equal(m.cert, secret?.data['tls.crt'], 'every replica serves the one Secret');
  t.same(await caBundles('lib-certs'), [secret?.data['ca.crt'], secret?.data['ca.crt']], 'both caBundles set');
  t.ok(replicas.every((r) => r.isReady()));
  const full = await admission.readMutatingWebhookConfiguration({ name: 'lib-certs' });
  t.equal(full.webhooks?.[0]?.timeoutSeconds, 5, 'the JSON patch left the other fields alone');
  t.equal(full.webhooks?.[1]?.clientConfig.service?.path, '/mutate');

  // a JSON patch whose `test` no longer holds is refused by the API server
  const view = await api.getWebhookConfig('lib-certs');
  const race = await api
    .setCaBundles('lib-certs', [{ index: 0, name: 'a.lib.dev', expectedRaw: 'bm90LXRoaXM=', caBundle: 'x' }])
    .catch((e: unknown) => e);
  t.ok(race instanceof KubeApiError && [409, 422].includes(race.status), `stale test op refused (${(race as KubeApiError).status})`);
  t.equal((await api.getWebhookConfig('lib-certs'))?.resourceVersion, view?.resourceVersion, 'nothing written');
  t.notMatch(log.text(), /PRIVATE KEY/);
});

/** A kubeconfig for a ServiceAccount with exactly the RBAC of docs/certificates.md. */
async function restrictedKubeconfig(): Promise<string> {
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'otel-injector' } } });
  await rbac.createNamespacedRole({
    namespace: NS,
    body: {
      metadata: { name: 'otel-injector-certs' },
      rules: [
        { apiGroups: [''], resources: ['secrets'], resourceNames: [SECRET], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ],
    },
  });
  await rbac.createClusterRole({
    body: {
      metadata: { name: 'otel-injector-webhook-cabundle' },
      rules: [{ apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [MWC], verbs: ['get', 'patch'] }],
    },
  });
  const subjects = [{ kind: 'ServiceAccount', name: 'otel-injector', namespace: NS }];
  await rbac.createNamespacedRoleBinding({
    namespace: NS,
    body: { metadata: { name: 'otel-injector-certs' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'otel-injector-certs' }, subjects },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'otel-injector-webhook-cabundle' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'otel-injector-webhook-cabundle' },
      subjects,
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    name: 'otel-injector',
    namespace: NS,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server: cp.server, caData: Buffer.from(cp.caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'otel-injector', token: token.status?.token ?? '' }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user: 'otel-injector' }],
    currentContext: 'e2e',
  });
  const path = join(cp.dir, 'webhook-kubeconfig');
  await writeFile(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

t.test('the webhook started with no certificate writes its Secret and caBundle, and the API server calls it', async (t) => {
  await createNamespace(core, NS);
  await createNamespace(core, 'apps', { [INJECT_LABEL]: 'enabled' });
  await core.createNamespacedService({
    namespace: NS,
    body: { metadata: { name: 'otel-injector' }, spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }], selector: { app: 'x' } } },
  });
  await admission.createMutatingWebhookConfiguration({ body: webhookConfig(MWC, ['pods.otel-injector.dev', 'pods2.otel-injector.dev'], 'Fail') });
  const kubeconfig = await restrictedKubeconfig();
  const env = {
    CERT_MODE: 'self-managed',
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: NS,
    CERT_CHECK_INTERVAL_SECONDS: '1',
    INJECT_PAYLOAD_IMAGE: 'registry.invalid/e2e/otel-preload:e2e',
  };
  const began = Date.now();
  const replicas: Webhook[] = await Promise.all([
    startWebhook(t, cp.dir, { cert: null, env, logName: 'certs-a' }),
    startWebhook(t, cp.dir, { cert: null, env, logName: 'certs-b' }),
  ]);
  t.comment(`two replicas ready (caBundle trusted) ${Date.now() - began} ms after start`);
  upstreams.push(...replicas.map((r) => r.port));

  const secret = await api.getSecret(NS, SECRET);
  t.ok(secret, 'Secret written');
  t.same(await caBundles(MWC), [secret?.data['ca.crt'], secret?.data['ca.crt']], 'every caBundle set to ca.crt');
  const leaf = new X509Certificate(secret?.data['tls.crt'] ?? '');
  t.equal(leaf.checkHost('otel-injector.otel-injector.svc'), 'otel-injector.otel-injector.svc');

  const pod = await eventually(() => core.createNamespacedPod({ namespace: 'apps', body: deploymentPod('first') }), isInjected);
  t.ok(isInjected(pod), 'the API server called the webhook over TLS it verified with the caBundle');
  t.ok(connects.some((c) => c.endsWith(':443')), `calls went through the Service (${connects[0]})`);

  // someone overwrites a caBundle (e.g. helm upgrade): put back within a few checks
  await admission.patchMutatingWebhookConfiguration({
    name: MWC,
    body: [{ op: 'replace', path: '/webhooks/1/clientConfig/caBundle', value: Buffer.from('bogus').toString('base64') }],
  });
  const restored = await eventually(() => caBundles(MWC), (b) => b[1] === secret?.data['ca.crt'], 10_000);
  t.equal(restored[1], secret?.data['ca.crt'], 'tampered caBundle put back');

  // force a CA rotation: drop the CA key (as an operator could); keep creating pods throughout
  let created = 0;
  const failures: string[] = [];
  let running = true;
  const creator = (async (): Promise<void> => {
    for (let i = 0; running; i++) {
      try {
        const p = await core.createNamespacedPod({ namespace: 'apps', body: deploymentPod(`rot${i % 50}`) });
        if (isInjected(p)) created++;
        else failures.push(`pod ${i} not injected`);
      } catch (error) {
        failures.push(`pod ${i}: ${(error as { body?: unknown }).body ? JSON.stringify((error as { body: unknown }).body).slice(0, 300) : String(error)}`);
      }
      await sleep(100);
    }
  })();
  const current = await api.getSecret(NS, SECRET);
  await api.patchSecret(NS, SECRET, current?.resourceVersion ?? '', { data: { 'ca.key': null }, annotations: {} });
  const oldCa = secret?.data['ca.crt'] ?? '';
  const twoCas = await eventually(() => caBundles(MWC), (b) => parseBundle(b[0] ?? '').length === 2, 15_000);
  t.equal(parseBundle(twoCas[0] ?? '').length, 2, 'phase 1: old + new CA in the bundle');
  // phase 2 after 2 x 1 s + 30 s, phase 3 after as long again
  const final = await eventually(
    () => caBundles(MWC),
    (b) => parseBundle(b[0] ?? '').length === 1 && b[0] !== oldCa,
    120_000,
  );
  running = false;
  await creator;
  t.ok(parseBundle(final[0] ?? '').length === 1 && final[0] !== oldCa, 'phase 3: only the new CA remains');
  const rotated = await api.getSecret(NS, SECRET);
  t.not(rotated?.data['tls.crt'], secret?.data['tls.crt'], 'new serving certificate');
  t.same(failures, [], 'no pod creation failed or went uninjected during the rotation');
  t.ok(created > 100, `${created} pods created and injected through the rotation`);
  // both replicas serve the new cert: trusted by the new-CA-only bundle, and the API server keeps calling them
  for (const [i, r] of replicas.entries()) {
    const res = await httpsGet(r.port, final[0] ?? '', { servername: 'otel-injector.otel-injector.svc', path: '/readyz' });
    t.equal(res.status, 200, `replica ${i} serves a certificate the final caBundle trusts, and is ready`);
    t.equal(res.serial, new X509Certificate(rotated?.data['tls.crt'] ?? '').serialNumber, `replica ${i} serves the new cert`);
  }
  const after = await core.createNamespacedPod({ namespace: 'apps', body: deploymentPod('after') });
  t.ok(isInjected(after), 'the API server still calls the webhook after the old CA is gone');
  for (const r of replicas) t.notMatch(readFileSync(r.proc.logFile, 'utf8'), /PRIVATE KEY/, 'no key in the webhook log');
});
