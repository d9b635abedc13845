// Issue 21, end to end on a real kube-apiserver: with the collector's CA, client certificate and headers
// configured (the env the chart renders for those values), a pod in a Pod Security `restricted`, opted-in
// namespace is created and stored with the collector Secret mounted read-only (optional) and the headers from a
// secretKeyRef; the Secret's values never appear in the stored pod. Everything the chart renders with those
// values passes `kubectl apply --dry-run=server`.
import t from 'tap';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { startControlPlane, startWebhook } from './harness.js';
import { RELEASE_NAMESPACE, parseManifests, pointWebhookAt, renderChart } from './chart.js';
import { kubectlBin } from '../support/tools.js';
import { INJECT_LABEL, apis, applyWebhookConfig, createNamespace, deploymentPod, envOf, eventually, isInjected } from './kube.js';

const ENDPOINT = 'https://signoz-otel-collector.signoz.svc.cluster.local:4318';
const DIR = '/var/run/otel-injector/collector';
const VALUES = [
  `inject.otlpEndpoint=${ENDPOINT}`,
  'collector.ca.configMap.name=signoz-ca',
  'collector.clientCertificate.secretName=signoz-client',
  'collector.headers[0].name=signoz-ingestion-key',
  'collector.headers[0].secretName=signoz-cloud',
  'collector.headers[0].key=ingestion-key',
];

const cp = await startControlPlane(t);
const { core, admission } = apis(cp.kubeConfig);
const renderedYaml = await renderChart(VALUES);
const rendered = parseManifests(renderedYaml);
// The webhook gets the INJECT_* variables the chart renders for these values.
const deployment = rendered.find((m) => m.kind === 'Deployment' && (m.spec as { template: { spec: { containers: Array<{ name: string }> } } }).template.spec.containers[0]?.name === 'webhook');
const containerEnv = ((deployment?.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } }).template.spec.containers[0]?.env ?? []);
const env = Object.fromEntries(containerEnv.filter((e) => e.name.startsWith('INJECT_') && e.value !== undefined).map((e) => [e.name, e.value as string]));
const webhook = await startWebhook(t, cp.dir, { env: { ...env, INJECT_PAYLOAD_IMAGE: 'registry.invalid/e2e/otel-preload:e2e' } });
const mwc = pointWebhookAt(rendered, `${webhook.url}/mutate`, webhook.caPem);

t.test('everything the chart renders with the collector values passes kubectl apply --dry-run=server', async (tt) => {
  await createNamespace(core, RELEASE_NAMESPACE);
  const file = join(cp.dir, 'rendered-collector.yaml');
  await writeFile(file, renderedYaml);
  const { stdout } = await promisify(execFile)(await kubectlBin(), ['--kubeconfig', cp.kubeconfigPath, 'apply', '--dry-run=server', '-f', file]);
  tt.equal(stdout.trim().split('\n').filter((l) => l.endsWith('(server dry run)')).length, rendered.length, `all ${rendered.length} accepted`);
  tt.equal(env.INJECT_COLLECTOR_CA, 'true');
  tt.equal(env.INJECT_COLLECTOR_HEADERS, 'true');
});

t.test('a restricted, opted-in namespace stores the pod with the collector Secret by reference', async (tt) => {
  await createNamespace(core, 'e2e-collector', {
    [INJECT_LABEL]: 'enabled',
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  await applyWebhookConfig(admission, structuredClone(mwc));
  const warm = await eventually(() => core.createNamespacedPod({ namespace: 'e2e-collector', body: deploymentPod('warmup'), dryRun: 'All' }), isInjected);
  if (!isInjected(warm)) t.bailout(`webhook never became active:\n${webhook.proc.tail()}`);
  // The namespace has its copy of the collector Secret (what the controller is to keep there).
  await core.createNamespacedSecret({ namespace: 'e2e-collector', body: { metadata: { name: 'otel-injector-collector' }, stringData: { 'ca.crt': 'x', headers: 'signoz-ingestion-key=very-secret-value' } } });
  const created = await core.createNamespacedPod({ namespace: 'e2e-collector', body: deploymentPod('orders') });
  const stored: V1Pod = await core.readNamespacedPod({ name: created.metadata?.name ?? '', namespace: 'e2e-collector' });
  tt.ok(isInjected(stored), 'injected and admitted under restricted');
  tt.same(stored.spec?.volumes?.find((v) => v.secret !== undefined)?.secret, { secretName: 'otel-injector-collector', optional: true, defaultMode: 0o444 });
  const app = stored.spec?.containers[0];
  tt.same(app?.volumeMounts?.find((m) => m.mountPath === DIR)?.readOnly, true, 'mounted read-only');
  tt.equal(envOf(stored, app?.name ?? '', 'OTEL_EXPORTER_OTLP_CERTIFICATE'), `${DIR}/ca.crt`);
  tt.equal(envOf(stored, app?.name ?? '', 'OTEL_EXPORTER_OTLP_CLIENT_KEY'), `${DIR}/tls.key`);
  tt.equal(envOf(stored, app?.name ?? '', 'OTEL_INJECTOR_HEADERS_FILE'), `${DIR}/headers`);
  tt.same(app?.env?.find((e) => e.name === 'OTEL_EXPORTER_OTLP_HEADERS')?.valueFrom?.secretKeyRef, { name: 'otel-injector-collector', key: 'headers', optional: true });
  tt.notOk(JSON.stringify(stored).includes('very-secret-value'), 'no Secret value in the stored pod');
  // and a namespace without the copy still gets its pods (the volume and the reference are optional)
  await createNamespace(core, 'e2e-collector-bare', { [INJECT_LABEL]: 'enabled' });
  const bare = await core.createNamespacedPod({ namespace: 'e2e-collector-bare', body: deploymentPod('orders') });
  tt.ok(isInjected(bare), 'created without the Secret in its namespace');
});
