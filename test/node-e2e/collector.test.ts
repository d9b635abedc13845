// Issue 21, rotation through a real kubelet: an injected Node.js and an injected Python pod send to a real
// OTLP/HTTP receiver over mTLS with a private CA and an ingestion-key header, their credentials in the collector
// Secret that the controller copies into their namespace from the chart's sources in the release namespace.
// The sources are renewed while the apps serve (a CA bundle with the new CA, a new client certificate, a new
// key); the controller updates the copy, the kubelet the pods' Secret volume (syncFrequency 5 s in node.ts),
// and the payloads the TLS settings and headers of their next export. Then the collector switches to a
// certificate of the new CA. Every request's span arrives, the exports after the change carry the new key and
// client certificate and are accepted under the new server certificate, with no export failing. The times
// from the renewal to the copy, and to the first export with the new credentials, are printed.
import t from 'tap';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { issueServingCert } from '../../src/certs/issue.js';
import { RELEASE_NAMESPACE } from '../e2e/chart.js';
import { startController } from '../e2e/controller-support.js';
import { STATUS_ANNOTATION, createNamespace, eventually } from '../e2e/kube.js';
import type { ReceiverState, RequestRecord, SpanRecord } from '../support/receiver.mjs';
import { ca, clientCert, type IssuedPair } from '../support/collector-pki.js';
import { PY_APP_IMAGE } from './images.js';
import { HOST_IP } from './node-config.js';
import { ON, startSuite } from './suite.js';
import { APP_PORT, appDeployment, deployAndWait } from './workloads.js';

t.setTimeout(25 * 60 * 1000); // as node.test.ts: a cold payload image build alone takes 8-10 min
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const SECRET = 'otel-injector-collector';
const KEY_HEADER = 'x-ingest-key';
const [KEY_1, KEY_2] = ['ingest-key-one', 'ingest-key-two'];
const [CN_1, CN_2] = ['shop-client-1', 'shop-client-2'];

const [caA, caB, clients] = await Promise.all([ca('node-e2e collector ca a'), ca('node-e2e collector ca b'), ca('node-e2e collector clients')]);
const serving = (authority: IssuedPair): Promise<IssuedPair> => issueServingCert(authority, { hosts: [HOST_IP], validityDays: 1, now: new Date() });
const [serverA, serverB, client1, client2] = await Promise.all([serving(caA), serving(caB), clientCert(clients, CN_1), clientCert(clients, CN_2)]);

const started = Date.now();
const { node, core, apps, tlsReceiver, rendered, imagesMs, bringUpMs } = await startSuite(t, {
  tls: { key: serverA.keyPem, cert: serverA.certPem, ca: clients.certPem, requestCert: true },
  values: (endpoint) => [
    `inject.otlpEndpoint=${endpoint}`,
    'collector.ca.configMap.name=collector-ca',
    'collector.clientCertificate.secretName=collector-client',
    `collector.headers[0].name=${KEY_HEADER}`,
    'collector.headers[0].secretName=collector-ingest',
    'collector.headers[0].key=key',
    'collector.syncSeconds=1',
    'controller.mode=report',
  ],
});
if (tlsReceiver === undefined) throw new Error('the suite started no TLS receiver');
const receiver = tlsReceiver;
t.comment(`images ready in ${secs(imagesMs)}, node Ready in ${secs(bringUpMs)}, webhook up ${secs(Date.now() - started)} after the start`);

// The chart's sources, in the release namespace.
await createNamespace(core, RELEASE_NAMESPACE);
await core.createNamespacedConfigMap({ namespace: RELEASE_NAMESPACE, body: { metadata: { name: 'collector-ca' }, data: { 'ca.crt': caA.certPem } } });
await core.createNamespacedSecret({ namespace: RELEASE_NAMESPACE, body: { metadata: { name: 'collector-client' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(client1.certPem), 'tls.key': b64(client1.keyPem) } } });
await core.createNamespacedSecret({ namespace: RELEASE_NAMESPACE, body: { metadata: { name: 'collector-ingest' }, data: { key: b64(KEY_1) } } });

// The controller with the chart's env (its copies only: report mode), as the suite's admin.
type EnvVar = { name: string; value?: string };
const ctlDeploy = rendered.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-controller')) as unknown as { spec: { template: { spec: { containers: Array<{ env: EnvVar[] }> } } } } | undefined;
const ctlEnv = Object.fromEntries((ctlDeploy?.spec.template.spec.containers[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
for (const name of ['PORT', 'HOST', 'NODE_OPTIONS']) delete ctlEnv[name];
const ctl = await startController(t, node.cp, 'rotation-ctl', { ...ctlEnv, TELEMETRY_OTLP_ENDPOINT: '' });

const copyIn = (namespace: string): Promise<V1Secret | undefined> => core.readNamespacedSecret({ name: SECRET, namespace }).catch(() => undefined);
const text = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

const isPython = (r: RequestRecord): boolean => r.headers['user-agent'] === 'otel-injector-python';
const RUNTIMES = { node: (r: RequestRecord): boolean => !isPython(r), python: isPython } as const;
type Runtime = keyof typeof RUNTIMES;
const pods: Partial<Record<Runtime, V1Pod>> = {};
const sent: Record<Runtime, string[]> = { node: [], python: [] };
const fromPod = (pod: V1Pod | undefined) => (s: { resource: Record<string, unknown> }): boolean => s.resource['k8s.pod.uid'] === pod?.metadata?.uid;
const serverSpans = (st: ReceiverState, rt: Runtime): SpanRecord[] => st.spans.filter((s) => s.kind === 2 && fromPod(pods[rt])(s));
const hasMarker = (spans: readonly SpanRecord[], marker: string): boolean => spans.some((s) => JSON.stringify(s.attributes).includes(marker));

/** Requests to both pods, one pair every 250 ms, until stopped (at most 600 pairs); markers of those answered 200. */
function traffic(): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async (): Promise<void> => {
    for (let i = 0; i < 600 && !stopped; i++) {
      await Promise.all((['node', 'python'] as const).map(async (rt) => {
        const marker = `rot-${rt}-${i}`;
        const res = await fetch(`http://${pods[rt]?.status?.podIP ?? ''}:${APP_PORT}/work?${marker}=1`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        if (res?.status === 200) sent[rt].push(marker);
        await res?.text();
      }));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { stop: async () => { stopped = true; await loop; } };
}

let load: { stop(): Promise<void> } | undefined;
// (metrics every 3 s: the export timeout is at most the interval, and with 1 s a busy 2-core machine once timed one
// out while the collector dropped its connections for its new certificate: a line of ours, not a loss)
const env = { OTEL_BSP_SCHEDULE_DELAY: '500', OTEL_METRIC_EXPORT_INTERVAL: '3000' };

await t.test('the controller copies the chart\'s sources into the opted-in namespace; a Node.js and a Python pod export over mTLS with the key', async (tt) => {
  const copy = await eventually(() => copyIn(ON), (s) => s !== undefined, 30_000);
  tt.equal(text(copy?.data?.['ca.crt']), caA.certPem, 'the copy holds the CA');
  tt.equal(text(copy?.data?.headers), `${KEY_HEADER}=${KEY_1}`, 'and the header');
  for (const [rt, image] of [['node', undefined], ['python', PY_APP_IMAGE]] as const) {
    const { pod } = await deployAndWait(apps, core, ON, appDeployment(`tls-${rt}`, { env, ...(image === undefined ? {} : { image }) }));
    pods[rt] = pod;
    tt.match(pod.metadata?.annotations?.[STATUS_ANNOTATION], new RegExp(`^injected: \\S*${rt}`), `${rt}: injected`);
    const names = (pod.spec?.containers[0]?.env ?? []).map((e) => e.name);
    tt.ok(['OTEL_EXPORTER_OTLP_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_KEY', 'OTEL_INJECTOR_HEADERS_FILE'].every((n) => names.includes(n)), `${rt}: the collector files are given`);
    tt.ok(pod.spec?.volumes?.some((v) => v.secret?.secretName === SECRET), `${rt}: the collector Secret is mounted`);
  }
  load = traffic();
  const st = await receiver.waitFor((s) => (['node', 'python'] as const).every((rt) => serverSpans(s, rt).length > 0 && s.metrics.some(fromPod(pods[rt]))), 60_000).catch(() => receiver);
  for (const rt of ['node', 'python'] as const) {
    tt.ok(serverSpans(st, rt).length > 0, `${rt}: spans received over mTLS`);
    tt.ok(st.metrics.some(fromPod(pods[rt])), `${rt}: metrics received`);
    const reqs = st.requests.filter(RUNTIMES[rt]);
    tt.ok(reqs.length > 0 && reqs.every((r) => r.headers[KEY_HEADER] === KEY_1 && r.clientCertificate === CN_1), `${rt}: every export with the key and the client certificate`);
  }
  tt.same(st.tlsErrors, [], 'no handshake failed');
});

await t.test('renewed sources reach the running pods through the copy and the kubelet: exports continue, with the new key, client certificate and CA, nothing lost', async (tt) => {
  if (load === undefined) return tt.fail('no traffic from the previous test');
  const renewed = Date.now();
  // The renewal as cert-manager and trust-manager do it: the bundle gains the new CA before the collector serves
  // a certificate of it; the client certificate and the key are replaced.
  await core.patchNamespacedConfigMap({ name: 'collector-ca', namespace: RELEASE_NAMESPACE, body: { data: { 'ca.crt': caA.certPem + caB.certPem } } }, merge);
  await core.patchNamespacedSecret({ name: 'collector-client', namespace: RELEASE_NAMESPACE, body: { data: { 'tls.crt': b64(client2.certPem), 'tls.key': b64(client2.keyPem) } } }, merge);
  await core.patchNamespacedSecret({ name: 'collector-ingest', namespace: RELEASE_NAMESPACE, body: { data: { key: b64(KEY_2) } } }, merge);
  const fresh = (s: V1Secret | undefined): boolean => text(s?.data?.headers) === `${KEY_HEADER}=${KEY_2}` && text(s?.data?.['tls.crt']) === client2.certPem && text(s?.data?.['ca.crt']) === caA.certPem + caB.certPem;
  const copied = eventually(() => copyIn(ON), fresh, 30_000).then((s) => ({ ok: fresh(s), ms: Date.now() - renewed }));
  const isNew = (r: RequestRecord): boolean => r.headers[KEY_HEADER] === KEY_2 && r.clientCertificate === CN_2;
  const firstNew = (rt: Runtime): Promise<number> => receiver.waitFor((s) => s.requests.some((r) => RUNTIMES[rt](r) && isNew(r)), 90_000).then(() => Date.now() - renewed, () => NaN);
  const [copy, nodeMs, pyMs] = await Promise.all([copied, firstNew('node'), firstNew('python')]);
  tt.ok(copy.ok, `the copy in ${ON} holds the renewed sources (${secs(copy.ms)} after the renewal)`);
  tt.ok(Number.isFinite(nodeMs), `node: an export with the new key and client certificate, ${secs(nodeMs)} after the renewal`);
  tt.ok(Number.isFinite(pyMs), `python: an export with the new key and client certificate, ${secs(pyMs)} after the renewal`);
  // An export begun just before the change may be answered just after another one's with the new credentials: from
  // a second after both runtimes switched, every export must carry the new ones.
  await new Promise((r) => setTimeout(r, 1000));
  const settled = { node: receiver.requests.filter(RUNTIMES.node).length, python: receiver.requests.filter(RUNTIMES.python).length };

  // The collector now serves a certificate of the new CA (and drops its connections, as a restarted one does).
  receiver.setTls({ key: serverB.keyPem, cert: serverB.certPem });
  const switched = Date.now();
  const after = { node: sent.node.length, python: sent.python.length };
  const metricsBefore = receiver.metrics.length;
  const st = await receiver.waitFor((s) => (['node', 'python'] as const).every((rt) => {
    const marker = sent[rt][after[rt] + 2];
    return marker !== undefined && hasMarker(serverSpans(s, rt), marker) && s.metrics.slice(metricsBefore).some(fromPod(pods[rt]));
  }), 60_000).catch(() => receiver);
  for (const rt of ['node', 'python'] as const) {
    tt.ok(hasMarker(serverSpans(st, rt), sent[rt][after[rt] + 2] ?? '-'), `${rt}: spans of requests after the switch accepted under the new server certificate`);
    tt.ok(st.metrics.slice(metricsBefore).some(fromPod(pods[rt])), `${rt}: and metrics`);
  }
  const switchMs = Date.now() - switched;
  await load.stop();
  const all = await receiver.waitFor((s) => (['node', 'python'] as const).every((rt) => sent[rt].every((m) => hasMarker(serverSpans(s, rt), m))), 30_000).catch(() => receiver);
  for (const rt of ['node', 'python'] as const) {
    const lost = sent[rt].filter((m) => !hasMarker(serverSpans(all, rt), m));
    tt.same(lost, [], `${rt}: every one of the ${sent[rt].length} requests' spans arrived, across both changes`);
  }
  for (const rt of ['node', 'python'] as const) {
    const reqs = receiver.requests.filter(RUNTIMES[rt]);
    const first = reqs.findIndex(isNew);
    const late = reqs.slice(settled[rt]);
    tt.ok(first > 0 && late.length > 0 && late.every(isNew), `${rt}: ${first} export(s) with the old key and client certificate before the first with the new ones; all ${late.length} export(s) from a second later on with the new ones`);
  }
  tt.same(receiver.tlsErrors, [], 'no handshake failed (the pods trusted the new CA before the collector used it)');
  for (const rt of ['node', 'python'] as const) {
    const pod = pods[rt];
    const log = await core.readNamespacedPodLog({ name: pod?.metadata?.name ?? '', namespace: ON, container: 'app' });
    tt.same(log.split('\n').filter((l) => l.includes('otel-injector:')), [], `${rt}: no otel-injector: line (no export failed)`);
  }
  const uas = [...new Set(receiver.requests.map((r) => String(r.headers['user-agent'])))];
  tt.comment(`user agents: ${uas.join(', ')}`);
  tt.comment(`propagation: sources renewed -> copy updated ${secs(copy.ms)}; -> first export with the new credentials: node ${secs(nodeMs)}, python ${secs(pyMs)} (controller syncSeconds 1, kubelet syncFrequency 5 s, batch delay 0.5 s); collector switched -> spans of later requests accepted ${secs(switchMs)}`);
  t.comment(`collector rotation: copy ${secs(copy.ms)}, node ${secs(nodeMs)}, python ${secs(pyMs)}; total ${secs(Date.now() - started)}`);
  await ctl.proc.stop();
});

await t.test('teardown', async () => {
  await node.teardown();
});
