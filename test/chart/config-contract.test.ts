// The env the chart gives the webhook and the controller is exactly what the README documents and what
// src/config parses: every rendered variable is documented, and the real parser accepts the rendered env
// (webhook: in every certificate mode; controller: in report and restart) and maps it back onto the chart's values.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { DEFAULT_RUNTIME_NAMES } from '../../src/runtimes/index.js';
import { repoRoot } from '../support/tools.js';
import { controllerEnv, envMap, FULLNAME, NAMESPACE, one, render, webhookEnv, type EnvVar, type Manifest, type Obj } from './lib/render.js';

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

const POD_NAME = 'otel-otel-injector-controller-5d8f7c9b4-x2x7q';

/** The container env as the kubelet would hand it to the process (downward API resolved). */
function processEnv(manifests: readonly Manifest[], container: (m: readonly Manifest[]) => EnvVar[] = webhookEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container(manifests)) {
    const fieldPath = (e.valueFrom as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath;
    if (typeof e.value === 'string') env[e.name] = e.value;
    else if (fieldPath === 'metadata.namespace') env[e.name] = NAMESPACE;
    else if (fieldPath === 'metadata.name') env[e.name] = POD_NAME;
    else throw new Error(`cannot resolve env ${e.name}`);
  }
  return env;
}

void t.test('every variable the chart sets is documented', async (t) => {
  const documented = await documentedVariables();
  t.ok(documented.size > 20, `parsed ${documented.size} documented variables`);
  for (const values of [{}, { certificates: { mode: 'cert-manager' } }, { telemetry: { otlpEndpoint: 'http://c:4318' }, payload: { command: ['/cp', 'a', 'b'] } }]) {
    const m = await render(4, values);
    for (const name of Object.keys(envMap(webhookEnv(m)))) t.ok(documented.has(name), `${name} is in the README`);
    t.ok(documented.has('POD_NAMESPACE'));
  }
});

void t.test('every variable the chart sets on the controller is documented', async (t) => {
  const documented = await documentedVariables();
  for (const values of [{}, { controller: { mode: 'restart', dryRun: true } }]) {
    const m = await render(4, values);
    const names = controllerEnv(m).map((e) => e.name);
    t.ok(names.includes('POD_NAME') && names.includes('CONTROLLER_MODE'), 'downward API and literal variables both checked');
    for (const name of names) t.ok(documented.has(name), `controller: ${name} is in the README`);
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
  t.equal(cfg.inject.payloadImage, 'ghcr.io/otel-injector/payload:0.1.0');
  t.same(cfg.inject.initResources, { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } });
  t.same(cfg.inject.skipOwnerKinds, []);
  t.same(cfg.inject.runtimes, DEFAULT_RUNTIME_NAMES, 'every runtime on by default (java is opt-in)');
  t.same(cfg.inject.extraEnv, {});
  t.same(cfg.inject.overrideEnv, {}, 'nothing is forced by default');
  t.equal(cfg.telemetry.otlpEndpoint, 'http://signoz-otel-collector.signoz.svc.cluster.local:4318', 'self-telemetry goes to the same collector by default');
});

void t.test('src/config parses the rendered env: files modes and tuned values', async (t) => {
  for (const mode of ['cert-manager', 'secret'] as const) {
    const m = await render(4, {
      certificates: { mode, secret: { name: 'my-tls', caBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' } },
      inject: { runtimes: ['python'], extraEnv: { ENABLE_TRACING: 'true' }, overrideEnv: { ENABLE_OTEL_METRICS: 'false' }, skipOwnerKinds: ['Job', 'CronJob'], useWellKnownLabels: true, otlpEndpoint: 'https://otlp.example:4318' },
      payload: { runAsUser: 1234, volumeSizeLimit: '32Mi', command: ['/busybox/cp', '-R', '/p/.', '/otel-injector/'] },
      logLevel: 'warn',
      maxBodyBytes: 1048576,
      telemetry: { otlpEndpoint: 'http://collector:4318', exportIntervalMs: 5000 },
    });
    const cfg = parseConfig(processEnv(m), '0.1.0');
    t.equal(cfg.certs.mode, 'files', `${mode}: files`);
    t.match(cfg.certs.certFile, /\/tls\.crt$/);
    t.match(cfg.certs.keyFile, /\/tls\.key$/);
    t.same(cfg.inject.extraEnv, { ENABLE_TRACING: 'true' });
    t.same(cfg.inject.overrideEnv, { ENABLE_OTEL_METRICS: 'false' }, 'inject.overrideEnv reaches the webhook');
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

void t.test('src/config parses the controller env the chart renders, and it maps back onto the values', async (t) => {
  const cases: { name: string; values: Obj; expect: Obj }[] = [
    {
      name: 'defaults (report)',
      values: {},
      expect: {
        mode: 'report', maxConcurrent: 1, minIntervalSeconds: 30, rolloutTimeoutSeconds: 600, dryRun: false,
        webhookProbeUrl: `https://${FULLNAME}.${NAMESPACE}.svc:443/readyz`,
        namespaceLabel: { key: 'otel-injector.io/inject', value: 'enabled' },
        excludeNamespaces: [NAMESPACE, 'kube-system'],
        leaseName: `${FULLNAME}-controller`, leaseDurationSeconds: 15, identityHost: POD_NAME,
        collectorSources: { caConfigMap: undefined, caSecret: undefined, caPem: undefined, clientCertSecret: undefined, headers: [], syncSeconds: 10 },
      },
    },
    {
      name: 'restart, every knob turned',
      values: {
        controller: { mode: 'restart', maxConcurrent: 3, minIntervalSeconds: 0, rolloutTimeoutSeconds: 90, dryRun: true, leaseDurationSeconds: 40 },
        namespaceSelector: { labelKey: 'example.com/otel', labelValue: 'on', excludeNamespaces: ['legacy'] },
        service: { port: 8443 },
        fullnameOverride: 'inj',
      },
      expect: {
        mode: 'restart', maxConcurrent: 3, minIntervalSeconds: 0, rolloutTimeoutSeconds: 90, dryRun: true,
        webhookProbeUrl: `https://inj.${NAMESPACE}.svc:8443/readyz`,
        namespaceLabel: { key: 'example.com/otel', value: 'on' },
        excludeNamespaces: [NAMESPACE, 'kube-system', 'legacy'],
        leaseName: 'inj-controller', leaseDurationSeconds: 40, identityHost: POD_NAME,
        collectorSources: { caConfigMap: undefined, caSecret: undefined, caPem: undefined, clientCertSecret: undefined, headers: [], syncSeconds: 10 },
      },
    },
    {
      name: 'collector sources (issue 21)',
      values: {
        inject: { otlpEndpoint: 'https://c:4318' },
        collector: {
          syncSeconds: 3, ca: { configMap: { name: 'signoz-ca', key: 'bundle.pem' } }, clientCertificate: { secretName: 'signoz-client' },
          headers: [{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'ingestion-key' }],
        },
      },
      expect: {
        mode: 'report', maxConcurrent: 1, minIntervalSeconds: 30, rolloutTimeoutSeconds: 600, dryRun: false,
        webhookProbeUrl: `https://${FULLNAME}.${NAMESPACE}.svc:443/readyz`,
        namespaceLabel: { key: 'otel-injector.io/inject', value: 'enabled' },
        excludeNamespaces: [NAMESPACE, 'kube-system'],
        leaseName: `${FULLNAME}-controller`, leaseDurationSeconds: 15, identityHost: POD_NAME,
        collectorSources: {
          caConfigMap: { name: 'signoz-ca', key: 'bundle.pem' }, caSecret: undefined, caPem: undefined, clientCertSecret: 'signoz-client',
          headers: [{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'ingestion-key' }], syncSeconds: 3,
        },
      },
    },
  ];
  for (const { name, values, expect } of cases) {
    for (const major of [3, 4] as const) {
      const m = await render(major, values);
      const cfg = parseConfig(processEnv(m, controllerEnv), '0.1.0');
      const c = cfg.controller;
      const sources = { ...c.collectorSources, headers: c.collectorSources.headers.map((h) => ({ ...h })) };
      t.same({ ...c, namespaceLabel: { ...c.namespaceLabel }, excludeNamespaces: [...c.excludeNamespaces], collectorSources: sources }, expect, `Helm ${major}, ${name}: ControllerConfig`);
      t.equal(cfg.inject.collector.secretName, 'otel-injector-collector', 'the copies carry the name the webhook mounts');
      t.same((one(m, 'Role', c.leaseName).rules as Obj[])[0]?.resourceNames, [c.leaseName], 'the Lease Role names the Lease the parser read');
      t.equal(cfg.server.port, 8080, 'serves probes and /metrics on 8080');
      t.equal(cfg.server.host, '0.0.0.0');
      t.equal(cfg.certs.namespace, NAMESPACE, 'POD_NAMESPACE: where the Lease lives');
      t.equal(cfg.inject.payloadImage, parseConfig(processEnv(m), '0.1.0').inject.payloadImage, 'the same preload image as the webhook');
    }
  }
});

void t.test('the controller env parses with logging and telemetry as the webhook has them', async (t) => {
  const m = await render(4, { logLevel: 'warn', telemetry: { otlpEndpoint: '', exportIntervalMs: 2000 }, controller: { mode: 'restart' } });
  const ctl = parseConfig(processEnv(m, controllerEnv), '0.1.0');
  const webhook = parseConfig(processEnv(m), '0.1.0');
  t.equal(ctl.server.logLevel, 'warn');
  t.same(ctl.telemetry, webhook.telemetry, 'same telemetry settings');
  t.equal(ctl.telemetry.otlpEndpoint, undefined, 'an empty endpoint disables export for both');
  t.equal(ctl.telemetry.exportIntervalMs, 2000);
});

// Kubernetes label values may be empty and the schema allows namespaceSelector.labelValue: "" (the webhook's
// namespaceSelector then matches `key=`); the controller must read the same selection.
void t.test('an empty namespaceSelector.labelValue reaches the controller as key=', async (t) => {
  const m = await render(4, { namespaceSelector: { labelKey: 'example.com/otel', labelValue: '' } });
  t.equal(envMap(controllerEnv(m)).CONTROLLER_NAMESPACE_LABEL, 'example.com/otel=');
  t.same({ ...parseConfig(processEnv(m, controllerEnv), '0.1.0').controller.namespaceLabel }, { key: 'example.com/otel', value: '' });
});
