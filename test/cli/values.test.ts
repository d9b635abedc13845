// --values maps chart values to the webhook's INJECT_* variables exactly as the chart's Deployment template
// does: the real helm (3 and 4) renders charts/otel-injector for each values file and the mapping must give
// the very same variables (last entry wins, as for the kubelet), and src/config the very same InjectConfig.
import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { CHART_DEFAULTS, injectEnvOf, mergeValues } from '../../src/cli/values.js';
import { helmTemplate, injectorChart } from './helm.js';
import { yamlDocs, type Obj } from './helpers.js';

const VALUES: Obj[] = [
  {},
  { inject: { otlpEndpoint: 'https://otlp.example.com:4318', skipOwnerKinds: ['Job', 'CronJob'], useWellKnownLabels: true, extraEnv: { ZED: 'last', ENABLE_TRACING: 'true' } } },
  { payload: { image: { repository: 'mirror.example/preload', tag: '7.1', pullPolicy: 'Always' }, command: ['/busybox/cp', '-R', '/p/.', '/otel-injector/'], runAsUser: 4321, volumeSizeLimit: '32Mi', mountPath: '/opt/otel' } },
  { payload: { image: { digest: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' }, resources: { requests: { cpu: '20m', memory: '20Mi' }, limits: { cpu: 1, memory: '1Gi' } } } },
  { extraEnv: [{ name: 'INJECT_OTLP_ENDPOINT', value: 'http://from-extra-env:4318' }, { name: 'OTHER', value: 'x' }] },
  {
    inject: { otlpEndpoint: 'https://signoz-otel-collector.signoz.svc.cluster.local:4318' },
    collector: {
      ca: { configMap: { name: 'signoz-ca' } }, clientCertificate: { secretName: 'signoz-client' },
      headers: [{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'k' }],
      logsEndpoint: 'https://logs.example.com/v1/logs', secretName: 'collector-creds', mountPath: '/etc/otel-collector',
    },
  },
  { inject: { otlpEndpoint: 'https://ingest.eu.signoz.cloud:443' }, collector: { ca: { pem: '-----BEGIN CERTIFICATE-----' } } },
  { payload: { delivery: 'auto' } },
  { payload: { delivery: 'image-volume', image: { pullPolicy: 'Always' } } },
];

function renderedInjectEnv(yaml: string): Record<string, string> {
  const deployment = yamlDocs(yaml).find((d) => d.kind === 'Deployment') as Obj;
  const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
  const out: Record<string, string> = {};
  for (const entry of env) if (entry.name.startsWith('INJECT_') && entry.value !== undefined) out[entry.name] = entry.value;
  return out;
}

for (const major of [3, 4] as const) {
  void t.test(`helm ${major}: the mapping gives exactly the rendered INJECT_* variables`, async (t) => {
    for (const values of VALUES) {
      const rendered = renderedInjectEnv(await helmTemplate(major, injectorChart, 'otel', 'observability', values));
      const mapped = injectEnvOf(mergeValues(CHART_DEFAULTS, values), '0.1.0');
      t.same(mapped, rendered, JSON.stringify(values));
      t.same(parseConfig(mapped, '0.1.0').inject, parseConfig(rendered, '0.1.0').inject, 'same InjectConfig');
    }
  });
}

void t.test('CHART_DEFAULTS are the chart values.yaml defaults', async (t) => {
  const { parse } = await import('yaml');
  const { readFile } = await import('node:fs/promises');
  const chartValues = parse(await readFile(`${injectorChart}/values.yaml`, 'utf8')) as Obj;
  for (const key of Object.keys(CHART_DEFAULTS)) {
    const ours = CHART_DEFAULTS[key] as Obj;
    if (Array.isArray(ours)) t.same(chartValues[key], ours, key);
    else for (const [sub, value] of Object.entries(ours)) t.same(chartValues[key][sub], value, `${key}.${sub}`);
  }
});
