// The env the chart gives the webhook is exactly what the README documents and what
// src/config parses: every rendered variable is documented, and the webhook's own parser accepts the
// rendered env in every certificate mode and maps it back onto the chart's values.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { repoRoot } from '../support/tools.js';
import { envMap, FULLNAME, NAMESPACE, one, render, webhookEnv, type Manifest, type Obj } from './lib/render.js';

async function documentedVariables(): Promise<Set<string>> {
  const md = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const names = new Set<string>();
  for (const line of md.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const m of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1] as string);
  }
  return names;
}

/** The container env as the kubelet would hand it to the process (downward API resolved). */
function processEnv(manifests: readonly Manifest[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of webhookEnv(manifests)) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    else if ((e.valueFrom as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = NAMESPACE;
    else throw new Error(`cannot resolve env ${e.name}`);
  }
  return env;
}

void t.test('every variable the chart sets is documented', async (t) => {
  const documented = await documentedVariables();
  t.ok(documented.size > 20, `parsed ${documented.size} documented variables`);
  for (const values of [{}, { certificates: { mode: 'cert-manager' } }, { telemetry: { otlpEndpoint: 'http://c:4318' }, preload: { command: ['/cp', 'a', 'b'] } }]) {
    const m = await render(4, values);
    for (const name of Object.keys(envMap(webhookEnv(m)))) t.ok(documented.has(name), `${name} is in the README`);
    t.ok(documented.has('POD_NAMESPACE'));
  }
});

void t.test('src/config parses the rendered env: self-managed defaults', async (t) => {
  const m = await render(3);
  const cfg = parseConfig(processEnv(m), '0.1.0');
  t.equal(cfg.certs.mode, 'self-managed');
  t.equal(cfg.certs.namespace, NAMESPACE);
  t.equal(cfg.certs.serviceName, one(m, 'Service').metadata.name);
  t.equal(cfg.certs.webhookConfigName, one(m, 'MutatingWebhookConfiguration').metadata.name);
  t.equal(cfg.certs.secretName, `${FULLNAME}-tls`);
  t.same((one(m, 'Role', FULLNAME).rules as Obj[])[0]?.resourceNames, [cfg.certs.secretName], 'the Role names the Secret the webhook uses');
  t.equal(cfg.server.port, 8443);
  t.equal(cfg.server.shutdownDrainSeconds, 5);
  t.equal(cfg.inject.otlpEndpoint, 'http://signoz-otel-collector.signoz.svc.cluster.local:4318');
  t.equal(cfg.inject.preloadImage, 'ghcr.io/otel-injector/preload:0.1.0');
  t.same(cfg.inject.initResources, { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
  t.same(cfg.inject.skipOwnerKinds, []);
  t.same(cfg.inject.runtimes, ['node', 'python'], 'both runtimes by default');
  t.same(cfg.inject.extraEnv, {});
  t.equal(cfg.telemetry.otlpEndpoint, 'http://signoz-otel-collector.signoz.svc.cluster.local:4318', 'self-telemetry goes to the same collector by default');
});

void t.test('src/config parses the rendered env: files modes and tuned values', async (t) => {
  for (const mode of ['cert-manager', 'secret'] as const) {
    const m = await render(4, {
      certificates: { mode, secret: { name: 'my-tls', caBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' } },
      inject: { runtimes: ['python'], extraEnv: { ENABLE_TRACING: 'true' }, skipOwnerKinds: ['Job', 'CronJob'], useWellKnownLabels: true, otlpEndpoint: 'https://otlp.example:4318' },
      preload: { runAsUser: 1234, volumeSizeLimit: '32Mi', command: ['/busybox/cp', '-R', '/p/.', '/otel-injector/'] },
      logLevel: 'warn',
      maxBodyBytes: 1048576,
      telemetry: { otlpEndpoint: 'http://collector:4318', exportIntervalMs: 5000 },
    });
    const cfg = parseConfig(processEnv(m), '0.1.0');
    t.equal(cfg.certs.mode, 'files', `${mode}: files`);
    t.match(cfg.certs.certFile, /\/tls\.crt$/);
    t.match(cfg.certs.keyFile, /\/tls\.key$/);
    t.same(cfg.inject.extraEnv, { ENABLE_TRACING: 'true' });
    t.same(cfg.inject.skipOwnerKinds, ['Job', 'CronJob']);
    t.same(cfg.inject.runtimes, ['python']);
    t.equal(cfg.inject.useWellKnownLabels, true);
    t.equal(cfg.inject.otlpEndpoint, 'https://otlp.example:4318');
    t.equal(cfg.inject.initRunAsUser, 1234);
    t.equal(cfg.inject.volumeSizeLimit, '32Mi');
    t.same(cfg.inject.initCommand, ['/busybox/cp', '-R', '/p/.', '/otel-injector/']);
    t.equal(cfg.server.logLevel, 'warn');
    t.equal(cfg.server.maxBodyBytes, 1048576);
    t.equal(cfg.telemetry.otlpEndpoint, 'http://collector:4318');
    t.equal(cfg.telemetry.exportIntervalMs, 5000);
  }
});

void t.test('inject.runtimes reaches INJECT_RUNTIMES in the order given; the parser puts it in registry order', async (t) => {
  const m = await render(4, { inject: { runtimes: ['python', 'node'] } });
  t.equal(envMap(webhookEnv(m)).INJECT_RUNTIMES, 'python,node');
  t.same(parseConfig(processEnv(m), '0.1.0').inject.runtimes, ['node', 'python']);
});
