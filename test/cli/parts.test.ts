// The small pure parts of status and doctor: tables that fit, label selectors, the collector host, the
// webhook's Prometheus counters, the caBundle check on real certificates.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import type { V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Kube } from '../../src/cli/kube.js';
import type { WebhookView } from '../../src/cli/webhook-config.js';
import { admissionCounts, serviceOfHost } from '../../src/cli/doctor-checks.js';
import { matches, selectorText } from '../../src/cli/selector.js';
import { table } from '../../src/cli/table.js';
import { pemCertificates, verifyChain } from '../../src/cli/tls.js';
import { loopbackServingCert } from '../e2e/pki.js';

void t.test('table: aligned columns, the last one cut to the terminal width', async (t) => {
  const rows = [['Deployment/api', 'api-1', 'injected', 'node,python'], ['', 'api-2', 'not-seen', 'no otel-injector.io/status: created while the webhook was down']];
  const wide = table(['WORKLOAD', 'POD', 'STATE', 'DETAIL'], rows, undefined).split('\n');
  t.same(wide, [
    'WORKLOAD        POD    STATE     DETAIL',
    'Deployment/api  api-1  injected  node,python',
    '                api-2  not-seen  no otel-injector.io/status: created while the webhook was down',
  ]);
  const narrow = table(['WORKLOAD', 'POD', 'STATE', 'DETAIL'], rows, 50).split('\n');
  t.ok(narrow.every((line) => line.length <= 50), 'fits 50 columns');
  t.equal(narrow[2], `${(wide[2] ?? '').slice(0, 49)}…`, 'cut with an ellipsis at exactly 50');
  t.equal(narrow[1], wide[1], 'a line that fits is untouched');
});

void t.test('label selectors as the API server evaluates them', async (t) => {
  const chart = {
    matchExpressions: [
      { key: 'otel-injector.io/inject', operator: 'In', values: ['enabled'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['otel-injector', 'kube-system'] },
    ],
  };
  t.ok(matches(chart, { 'otel-injector.io/inject': 'enabled', 'kubernetes.io/metadata.name': 'shop' }));
  t.notOk(matches(chart, { 'otel-injector.io/inject': 'enabled', 'kubernetes.io/metadata.name': 'kube-system' }));
  t.notOk(matches(chart, { 'otel-injector.io/inject': 'disabled' }));
  t.notOk(matches(chart, undefined));
  t.ok(matches({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }, { key: 'a', operator: 'Exists' }] }, { a: 'b' }));
  t.notOk(matches({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, { a: 'b' }), 'an unknown operator matches nothing');
  t.ok(matches(undefined, {}), 'no selector: everything');
  t.equal(selectorText(chart), 'otel-injector.io/inject in (enabled),kubernetes.io/metadata.name notin (otel-injector,kube-system)');
});

void t.test('the collector host names a Service only in the cluster DNS forms', async (t) => {
  t.same(serviceOfHost('signoz-otel-collector.signoz.svc.cluster.local', 'shop'), { name: 'signoz-otel-collector', namespace: 'signoz' });
  t.same(serviceOfHost('collector.observability.svc', 'shop'), { name: 'collector', namespace: 'observability' });
  t.same(serviceOfHost('collector.observability', 'shop'), { name: 'collector', namespace: 'observability' });
  t.same(serviceOfHost('collector', 'shop'), { name: 'collector', namespace: 'shop' });
  t.equal(serviceOfHost('otlp.eu.example.com', 'shop'), undefined);
  t.equal(serviceOfHost('10.0.0.7', 'shop'), undefined);
});

void t.test('admission counters from the webhook\'s Prometheus text', async (t) => {
  const text = [
    '# TYPE otel_injector_admission_requests_total counter',
    'otel_injector_admission_requests_total{decision="injected",reason="all selected containers",request_namespace="shop"} 12',
    'otel_injector_admission_requests_total{decision="error",reason="internal error",request_namespace="shop"} 2',
    'otel_injector_admission_requests_total{decision="error",reason="unsupported",request_namespace="x"} 1',
    'otel_injector_admission_duration_seconds_bucket{le="0.005"} 15',
  ].join('\n');
  const counts = admissionCounts(text);
  t.equal(counts.total, 15);
  t.equal(counts.errors, 3);
  t.same([...counts.reasons], [['internal error', 2], ['unsupported', 1]]);
});

void t.test('verifyChain: the right CA, a wrong CA, a wrong host, an expired certificate', async (t) => {
  const leaf = loopbackServingCert('right-ca');
  const cert = new X509Certificate(leaf.certPem);
  const right = pemCertificates(Buffer.from(leaf.caPem).toString('base64'));
  const wrong = pemCertificates(loopbackServingCert('wrong-ca').caPem);
  const now = new Date();
  t.equal(verifyChain(cert, [], right, '127.0.0.1', now), undefined);
  t.match(verifyChain(cert, [], wrong, '127.0.0.1', now), /the caBundle \(CN=wrong-ca\) did not sign the served certificate \(issuer CN=right-ca\)/);
  t.match(verifyChain(cert, [], right, 'otel-injector.otel-injector.svc', now), /does not name otel-injector\.otel-injector\.svc/);
  t.match(verifyChain(cert, [], right, '127.0.0.1', new Date(Date.now() + 20 * 365 * 86_400_000)), /expired on/);
});

void t.test('status: the controller line, from its Lease', async (t) => {
  const { controllerState, leaseText } = await import('../../src/cli/controller-state.js');
  const now = Date.parse('2026-11-26T10:00:30Z');
  const lease = (holder: string, renewed: string): V1Lease => ({ spec: { holderIdentity: holder, renewTime: new Date(renewed) as V1MicroTime, leaseDurationSeconds: 15 } });
  t.equal(leaseText(lease('ctl-7f9-abc', '2026-11-26T10:00:27Z'), 'otel-injector/otel-injector-controller', now),
    'running, leader ctl-7f9-abc (Lease otel-injector/otel-injector-controller renewed 3 s ago); see its Events (reason Uninstrumented) and logs');
  t.match(leaseText(lease('ctl-7f9-abc', '2026-11-26T09:59:00Z'), 'x/y', now), /^no leader \(Lease x\/y last renewed 90 s ago\): pods in state not-seen stay so/, 'a lease not renewed for longer than its duration: nobody leads');
  t.match(leaseText(lease('', '2026-11-26T10:00:29Z'), 'x/y', now), /^no leader/, 'a released lease');
  const webhook = { name: 'otel-injector', entry: { clientConfig: { service: { namespace: 'otel-injector', name: 'otel-injector' } } } } as unknown as WebhookView;
  const kubeWith = (read: () => Promise<V1Lease>): Kube => ({ coordination: { readNamespacedLease: read } }) as unknown as Kube;
  const notFound = await controllerState(kubeWith(() => Promise.reject(Object.assign(new Error('HTTP-Code: 404'), { code: 404 }))), webhook, now);
  t.match(notFound, { lease: 'otel-injector/otel-injector-controller', text: /^not running \(no Lease otel-injector\/otel-injector-controller; controller.mode=off\?\)/ });
  const forbidden = await controllerState(kubeWith(() => Promise.reject(Object.assign(new Error('HTTP-Code: 403'), { code: 403 }))), webhook, now);
  t.match(forbidden?.text, /^unknown \(not allowed to get the Lease/);
  t.equal(await controllerState(kubeWith(() => Promise.resolve({})), { ...webhook, entry: { clientConfig: { url: 'https://x' } } } as unknown as WebhookView, now), undefined, 'a url-based webhook names no namespace: no controller line');
});
