// Issue 21: doctor checks the collector credentials of what the webhook injects: the collector Secret is in every
// opted-in namespace with the keys the pod uses, and its CA verifies the certificate a real TLS collector serves.
// The pod is the real injection's (as a dry run returns it); the API is a stand-in answering Secret reads.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { checkCollectorCredentials, collectorUse } from '../../src/cli/doctor-collector.js';
import type { Kube } from '../../src/cli/kube.js';
import { admit, deploymentPod, testConfig } from '../support/admission.js';
import { ca, serverCert } from '../support/collector-pki.js';

const pki = { a: await ca('collector ca a'), other: await ca('not the collector ca') };
const pair = await serverCert(pki.a);
const server = createServer({ key: pair.keyPem, cert: pair.certPem }, (_req, res) => res.end());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

function injected(env: Record<string, string>): V1Pod {
  return admit(deploymentPod(), testConfig({ INJECT_OTLP_ENDPOINT: endpoint, ...env })).pod as V1Pod;
}

const TLS = { INJECT_COLLECTOR_CA: 'true', INJECT_COLLECTOR_CLIENT_CERT: 'true', INJECT_COLLECTOR_HEADERS: 'true' };
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const copy = (caPem: string, keys = ['tls.crt', 'tls.key', 'headers']): V1Secret => ({
  data: { 'ca.crt': b64(caPem), ...Object.fromEntries(keys.map((key) => [key, b64('x')])) },
});

function kube(secrets: Record<string, V1Secret | 'forbidden'>): Kube {
  const readNamespacedSecret = ({ name, namespace }: { name: string; namespace: string }): Promise<V1Secret> => {
    const found = name === 'otel-injector-collector' ? secrets[namespace] : undefined;
    if (found === 'forbidden') return Promise.reject(Object.assign(new Error('forbidden'), { code: 403, body: '{"message":"secrets is forbidden"}' }));
    return found === undefined ? Promise.reject(Object.assign(new Error('not found'), { code: 404 })) : Promise.resolve(found);
  };
  return { server: 'https://127.0.0.1:6443', context: 'test', namespace: 'default', core: { readNamespacedSecret } } as unknown as Kube;
}

const now = new Date();

t.test('what the pod uses is read from the injected pod', async (t) => {
  t.same(collectorUse(injected(TLS)), { secretName: 'otel-injector-collector', keys: ['ca.crt', 'headers', 'tls.crt', 'tls.key'], caKey: 'ca.crt', endpoint });
  t.equal(collectorUse(injected({})), undefined, 'no collector credentials: nothing to check');
  t.same(await checkCollectorCredentials(kube({}), injected({}), ['bakery-ia'], now, 3000), [], 'and no finding');
});

t.test('every namespace has its copy and the CA verifies the collector: pass', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': copy(pki.a.certPem), shop: copy(pki.a.certPem) }), injected(TLS), ['bakery-ia', 'shop'], now, 3000);
  t.same(findings.map((f) => [f.check, f.result]), [['collector-secret', 'pass'], ['collector-ca', 'pass']]);
  t.match(findings[1]?.message ?? '', /the CA in bakery-ia\/otel-injector-collector verifies the certificate https:\/\/127\.0\.0\.1:\d+ serves/);
  t.notMatch(JSON.stringify(findings), /BEGIN CERTIFICATE|eA==/, 'no Secret value in the findings');
});

t.test('a namespace without its copy, a copy without a key: fail, naming them', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': copy(pki.a.certPem, ['tls.crt', 'tls.key']) }), injected(TLS), ['bakery-ia', 'shop'], now, 3000);
  const secret = findings.find((f) => f.check === 'collector-secret');
  t.equal(secret?.result, 'fail');
  t.match(secret?.message ?? '', /bakery-ia: Secret otel-injector-collector has no key headers/);
  t.match(secret?.message ?? '', /shop: no Secret otel-injector-collector/);
  t.equal(findings.find((f) => f.check === 'collector-ca')?.result, 'pass', 'the CA of the copy that exists is still checked');
});

t.test('a CA that did not sign the collector certificate: fail', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': copy(pki.other.certPem) }), injected(TLS), ['bakery-ia'], now, 3000);
  const check = findings.find((f) => f.check === 'collector-ca');
  t.equal(check?.result, 'fail');
  t.match(check?.message ?? '', /the CA in bakery-ia\/otel-injector-collector \(.*not the collector ca.*\) did not sign the served certificate/);
});

t.test('no permission to read Secrets: a warning naming the permission', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': 'forbidden' }), injected(TLS), ['bakery-ia'], now, 3000);
  t.equal(findings[0]?.result, 'warn');
  t.match(findings[0]?.message ?? '', /missing RBAC permission "get secrets"/);
});

t.test('an https collector nothing listens on: a warning, not a failure of the check itself', async (t) => {
  const closed = injected(TLS);
  const env = closed.spec?.containers[0]?.env ?? [];
  for (const entry of env) if (entry.name === 'OTEL_EXPORTER_OTLP_ENDPOINT') entry.value = 'https://127.0.0.1:1';
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': copy(pki.a.certPem) }), closed, ['bakery-ia'], now, 3000);
  t.equal(findings.find((f) => f.check === 'collector-ca')?.result, 'warn');
});
