// Issue 21: doctor checks the collector credentials of what the webhook injects: the collector Secret is in every
// opted-in namespace with the keys the pod uses, current with the sources the controller Deployment names in the
// release namespace (one line per namespace missing or stale, key names only), and its CA verifies the
// certificate a real TLS collector serves. The pod is the real injection's (as a dry run returns it); the API is
// a stand-in answering Secret, ConfigMap and Deployment reads.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { V1ConfigMap, V1Deployment, V1Pod, V1Secret } from '@kubernetes/client-node';
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

/** The release namespace: the controller Deployment and the sources it names. */
interface Release { deployment?: V1Deployment | 'forbidden'; secrets?: Record<string, V1Secret>; configMaps?: Record<string, V1ConfigMap | 'forbidden'> }
const RELEASE_NS = 'otel-injector';
const forbidden = (resource: string): Promise<never> => Promise.reject(Object.assign(new Error('forbidden'), { code: 403, body: `{"message":"${resource} is forbidden"}` }));
const notFound = (): Promise<never> => Promise.reject(Object.assign(new Error('not found'), { code: 404 }));
const answer = <T>(found: T | 'forbidden' | undefined, resource: string): Promise<T> => (found === 'forbidden' ? forbidden(resource) : found === undefined ? notFound() : Promise.resolve(found));

function kube(secrets: Record<string, V1Secret | 'forbidden'>, release: Release = {}): Kube {
  type Ref = { name: string; namespace: string };
  const readNamespacedSecret = ({ name, namespace }: Ref): Promise<V1Secret> =>
    answer(namespace === RELEASE_NS ? release.secrets?.[name] : name === 'otel-injector-collector' ? secrets[namespace] : undefined, 'secrets');
  const readNamespacedConfigMap = ({ name, namespace }: Ref): Promise<V1ConfigMap> => answer(namespace === RELEASE_NS ? release.configMaps?.[name] : undefined, 'configmaps');
  const readNamespacedDeployment = ({ name, namespace }: Ref): Promise<V1Deployment> =>
    answer(namespace === RELEASE_NS && name === 'otel-injector-controller' ? release.deployment : undefined, 'deployments.apps');
  return { server: 'https://127.0.0.1:6443', context: 'test', namespace: 'default', core: { readNamespacedSecret, readNamespacedConfigMap }, apps: { readNamespacedDeployment } } as unknown as Kube;
}

const now = new Date();
const WHERE = { namespace: RELEASE_NS, controllerName: 'otel-injector-controller' };
const URL_ONLY = { namespace: undefined, controllerName: 'otel-injector-controller' };

// The chart's controller Deployment with its collector sources (names only), and those sources.
const controller = (env: Record<string, string>): V1Deployment => ({
  spec: { selector: {}, template: { spec: { containers: [{ name: 'controller', env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, ...Object.entries(env).map(([name, value]) => ({ name, value }))] }] } } },
});
const SOURCES_ENV = {
  INJECT_COLLECTOR_SECRET_NAME: 'otel-injector-collector',
  COLLECTOR_CA_CONFIGMAP_NAME: 'collector-ca',
  COLLECTOR_CA_CONFIGMAP_KEY: 'ca.crt',
  COLLECTOR_CLIENT_CERT_SECRET: 'collector-client',
  COLLECTOR_HEADER_SOURCES: JSON.stringify([{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'ingestion-key' }]),
};
const CLIENT_KEY = 'client-key-material-1';
const INGESTION_KEY = 'ingest key/1';
const sources = (caPem: string, clientKey = CLIENT_KEY, ingestionKey = INGESTION_KEY): Release => ({
  deployment: controller(SOURCES_ENV),
  configMaps: { 'collector-ca': { data: { 'ca.crt': caPem } } },
  secrets: { 'collector-client': { data: { 'tls.crt': b64('client-cert-1'), 'tls.key': b64(clientKey) } }, 'signoz-cloud': { data: { 'ingestion-key': b64(ingestionKey) } } },
});
/** A copy as the controller writes it from `sources(caPem)` (the header's value percent-encoded). */
const current = (caPem: string): V1Secret => ({
  data: { 'ca.crt': b64(caPem), 'tls.crt': b64('client-cert-1'), 'tls.key': b64(CLIENT_KEY), headers: b64('signoz-ingestion-key=ingest%20key%2F1') },
});
const secretLines = (findings: ReadonlyArray<{ check: string; result: string; message: string }>): string[] => findings.filter((f) => f.check === 'collector-secret').map((f) => `${f.result.toUpperCase()} ${f.message}`);
const noValues = (t: Test, findings: unknown): void => {
  const json = JSON.stringify(findings);
  for (const value of ['BEGIN CERTIFICATE', CLIENT_KEY, INGESTION_KEY, encodeURIComponent(INGESTION_KEY), b64(CLIENT_KEY), b64(INGESTION_KEY), 'client-key-material-2', 'ingest key/2']) {
    t.notOk(json.includes(value), `no ${value.slice(0, 14)}… in the findings`);
  }
};

t.test('what the pod uses is read from the injected pod', async (t) => {
  t.same(collectorUse(injected(TLS)), { secretName: 'otel-injector-collector', keys: ['ca.crt', 'headers', 'tls.crt', 'tls.key'], caKey: 'ca.crt', endpoint });
  t.equal(collectorUse(injected({})), undefined, 'no collector credentials: nothing to check');
  t.same(await checkCollectorCredentials(kube({}), injected({}), ['bakery-ia'], WHERE, now, 3000), [], 'and no finding');
});

t.test('every namespace has its copy, current with the sources, and the CA verifies the collector: pass', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': current(pki.a.certPem), shop: current(pki.a.certPem) }, sources(pki.a.certPem)), injected(TLS), ['bakery-ia', 'shop'], WHERE, now, 3000);
  t.same(findings.map((f) => [f.check, f.result]), [['collector-secret', 'pass'], ['collector-ca', 'pass']]);
  t.equal(findings[0]?.message, 'Secret otel-injector-collector (keys ca.crt, headers, tls.crt, tls.key) is in each of the 2 opted-in namespace(s), current with its sources in otel-injector');
  t.match(findings[1]?.message ?? '', /the CA in bakery-ia\/otel-injector-collector verifies the certificate https:\/\/127\.0\.0\.1:\d+ serves/);
  noValues(t, findings);
});

t.test('renewed sources the copies do not hold yet: one line per stale namespace naming the keys, one per missing namespace', async (t) => {
  const renewed = sources(pki.a.certPem + pki.other.certPem, 'client-key-material-2', 'ingest key/2');
  const copies = { 'bakery-ia': current(pki.a.certPem), shop: { data: { ...current(pki.a.certPem).data, 'tls.key': b64('client-key-material-2') } }, orders: current(pki.a.certPem) };
  delete (copies as Record<string, V1Secret | undefined>).orders;
  const findings = await checkCollectorCredentials(kube(copies, renewed), injected(TLS), ['bakery-ia', 'shop', 'orders'], WHERE, now, 3000);
  t.same(secretLines(findings), [
    'FAIL bakery-ia: Secret otel-injector-collector is stale: ca.crt, headers, tls.key differ from the sources in otel-injector (compared by SHA-256)',
    'FAIL shop: Secret otel-injector-collector is stale: ca.crt, headers differ from the sources in otel-injector (compared by SHA-256)',
    'FAIL orders: no Secret otel-injector-collector: its pods export without their collector credentials',
  ]);
  t.match(findings[1]?.hint ?? '', /controller updates the copies every collector\.syncSeconds/, 'the stale lines say what to do, once');
  t.equal(findings[0]?.hint, undefined);
  t.match(findings[2]?.hint ?? '', /controller keeps it there/);
  noValues(t, findings);
});

t.test('a copy with a key the sources no longer give is stale too', async (t) => {
  const noClient: Release = { ...sources(pki.a.certPem), deployment: controller({ ...SOURCES_ENV, COLLECTOR_CLIENT_CERT_SECRET: '' }) };
  const findings = await checkCollectorCredentials(kube({ shop: current(pki.a.certPem) }, noClient), injected(TLS), ['shop'], WHERE, now, 3000);
  t.same(secretLines(findings), ['FAIL shop: Secret otel-injector-collector is stale: tls.crt, tls.key differ from the sources in otel-injector (compared by SHA-256)']);
});

t.test('when the copies cannot be compared, doctor says why in one line and still checks their presence', async (t) => {
  const shop = { shop: current(pki.a.certPem) };
  const cases: Array<[string, Release, typeof WHERE | typeof URL_ONLY, string]> = [
    ['the controller off', {}, WHERE, 'SKIP copies not compared with their sources: no controller Deployment otel-injector/otel-injector-controller (controller.mode=off?): the copies are kept by hand'],
    ['no source named', { deployment: controller({ INJECT_COLLECTOR_SECRET_NAME: 'otel-injector-collector' }) }, WHERE, 'SKIP copies not compared with their sources: the controller Deployment otel-injector/otel-injector-controller names no collector source: the copies are kept by hand'],
    ['the webhook called by URL', sources(pki.a.certPem), URL_ONLY, 'SKIP copies not compared with their sources: the webhook is called by URL, so the release namespace is unknown: pass --release-namespace to compare the copies with their sources'],
    ['a source missing', { ...sources(pki.a.certPem), secrets: { 'collector-client': sources(pki.a.certPem).secrets?.['collector-client'] ?? {} } }, WHERE, 'WARN copies not compared with their sources: cannot compose the copy from its sources: header signoz-ingestion-key: Secret otel-injector/signoz-cloud not found'],
    ['a source not readable', { ...sources(pki.a.certPem), configMaps: { 'collector-ca': 'forbidden' } }, WHERE, 'WARN copies not compared with their sources: cannot compose the copy from its sources: CA: ConfigMap otel-injector/collector-ca unreadable (forbidden: missing RBAC permission "get configmaps" in namespace "otel-injector"'],
    ['the Deployment not readable', { deployment: 'forbidden' }, WHERE, 'WARN copies not compared with their sources: forbidden: missing RBAC permission "get deployments.apps" in namespace "otel-injector"'],
  ];
  for (const [what, release, where, line] of cases) {
    const findings = await checkCollectorCredentials(kube(shop, release), injected(TLS), ['shop'], where, now, 3000);
    const lines = secretLines(findings);
    t.equal(lines[0], 'PASS Secret otel-injector-collector (keys ca.crt, headers, tls.crt, tls.key) is in each of the 1 opted-in namespace(s)', `${what}: presence checked`);
    t.ok(lines[1]?.startsWith(line), `${what}: ${lines[1] ?? 'no second line'}`);
    t.equal(lines.length, 2, `${what}: two lines`);
  }
});

t.test('a namespace without its copy, a copy without a key: fail, naming them', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': copy(pki.a.certPem, ['tls.crt', 'tls.key']) }), injected(TLS), ['bakery-ia', 'shop'], URL_ONLY, now, 3000);
  t.same(secretLines(findings), [
    'FAIL bakery-ia: Secret otel-injector-collector has no key headers: its pods export without it',
    'FAIL shop: no Secret otel-injector-collector: its pods export without their collector credentials',
    'SKIP copies not compared with their sources: the webhook is called by URL, so the release namespace is unknown: pass --release-namespace to compare the copies with their sources',
  ]);
  t.equal(findings.find((f) => f.check === 'collector-ca')?.result, 'pass', 'the CA of the copy that exists is still checked');
});

t.test('a CA that did not sign the collector certificate: fail', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': copy(pki.other.certPem) }), injected(TLS), ['bakery-ia'], URL_ONLY, now, 3000);
  const check = findings.find((f) => f.check === 'collector-ca');
  t.equal(check?.result, 'fail');
  t.match(check?.message ?? '', /the CA in bakery-ia\/otel-injector-collector \(.*not the collector ca.*\) did not sign the served certificate/);
});

t.test('no permission to read Secrets: a warning naming the permission', async (t) => {
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': 'forbidden' }), injected(TLS), ['bakery-ia'], WHERE, now, 3000);
  t.equal(findings[0]?.result, 'warn');
  t.match(findings[0]?.message ?? '', /missing RBAC permission "get secrets"/);
});

t.test('an https collector nothing listens on: a warning, not a failure of the check itself', async (t) => {
  const closed = injected(TLS);
  const env = closed.spec?.containers[0]?.env ?? [];
  for (const entry of env) if (entry.name === 'OTEL_EXPORTER_OTLP_ENDPOINT') entry.value = 'https://127.0.0.1:1';
  const findings = await checkCollectorCredentials(kube({ 'bakery-ia': copy(pki.a.certPem) }), closed, ['bakery-ia'], URL_ONLY, now, 3000);
  t.equal(findings.find((f) => f.check === 'collector-ca')?.result, 'warn');
});
