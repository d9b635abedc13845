import t from 'tap';
import { parseConfig } from '../../src/config/index.js';

t.test('controller defaults: report, one at a time, 30 s apart, the chart label', async (t) => {
  const c = parseConfig({ HOSTNAME: 'ctl-abc' }, 'v').controller;
  t.equal(c.mode, 'report');
  t.equal(c.maxConcurrent, 1);
  t.equal(c.minIntervalSeconds, 30);
  t.equal(c.rolloutTimeoutSeconds, 600);
  t.equal(c.dryRun, false);
  t.equal(c.webhookProbeUrl, undefined);
  t.same(c.namespaceLabel, { key: 'otel-injector.io/inject', value: 'enabled' });
  t.same(c.excludeNamespaces, []);
  t.equal(c.identityHost, 'ctl-abc', 'the identity\'s host falls back to HOSTNAME');
  t.equal(c.leaseName, 'otel-injector-controller', 'the Lease is named after the default webhook configuration');
  t.ok(Object.isFrozen(c.excludeNamespaces));
});

t.test('without POD_NAME or HOSTNAME the identity\'s host is left to the program (the machine\'s host name)', async (t) => {
  t.equal(parseConfig({}, 'v').controller.identityHost, undefined);
  t.equal(parseConfig({ WEBHOOK_CONFIG_NAME: 'inj' }, 'v').controller.leaseName, 'inj-controller', 'the default Lease follows the webhook configuration name');
});

t.test('controller values are read and POD_NAME wins for the identity\'s host', async (t) => {
  const c = parseConfig({
    CONTROLLER_MODE: 'restart',
    CONTROLLER_MAX_CONCURRENT: '3',
    CONTROLLER_MIN_INTERVAL_SECONDS: '0',
    CONTROLLER_ROLLOUT_TIMEOUT_SECONDS: '120',
    CONTROLLER_DRY_RUN: 'true',
    CONTROLLER_WEBHOOK_PROBE_URL: 'https://otel-injector.otel-injector.svc:443/readyz',
    CONTROLLER_NAMESPACE_LABEL: 'example.com/otel=on',
    CONTROLLER_EXCLUDE_NAMESPACES: 'otel-injector,kube-system',
    CONTROLLER_LEASE_NAME: 'x-controller',
    CONTROLLER_LEASE_DURATION_SECONDS: '5',
    POD_NAME: 'ctl-1',
    HOSTNAME: 'ignored',
  }, 'v').controller;
  t.same({ ...c, namespaceLabel: { ...c.namespaceLabel }, excludeNamespaces: [...c.excludeNamespaces] }, {
    mode: 'restart',
    maxConcurrent: 3,
    minIntervalSeconds: 0,
    rolloutTimeoutSeconds: 120,
    dryRun: true,
    webhookProbeUrl: 'https://otel-injector.otel-injector.svc:443/readyz',
    namespaceLabel: { key: 'example.com/otel', value: 'on' },
    excludeNamespaces: ['otel-injector', 'kube-system'],
    leaseName: 'x-controller',
    leaseDurationSeconds: 5,
    identityHost: 'ctl-1',
    collectorSources: { caConfigMap: undefined, caSecret: undefined, caPem: undefined, clientCertSecret: undefined, headers: [], syncSeconds: 10 },
  });
});

t.test('bad controller values name their variable', async (t) => {
  const bad: Record<string, string> = {
    CONTROLLER_MODE: 'fix',
    CONTROLLER_MAX_CONCURRENT: '0',
    CONTROLLER_MIN_INTERVAL_SECONDS: '-1',
    CONTROLLER_ROLLOUT_TIMEOUT_SECONDS: '1',
    CONTROLLER_DRY_RUN: 'maybe',
    CONTROLLER_WEBHOOK_PROBE_URL: 'otel-injector:443',
    CONTROLLER_NAMESPACE_LABEL: 'otel-injector.io/inject',
    CONTROLLER_LEASE_DURATION_SECONDS: '1',
  };
  for (const [name, value] of Object.entries(bad)) {
    t.throws(() => parseConfig({ [name]: value }, 'v'), { message: new RegExp(`^${name}: `) }, `${name}=${value}`);
  }
  t.throws(() => parseConfig({ CONTROLLER_NAMESPACE_LABEL: 'a=b=c' }, 'v'), /CONTROLLER_NAMESPACE_LABEL/);
  t.throws(() => parseConfig({ CONTROLLER_NAMESPACE_LABEL: 'a=-x' }, 'v'), /CONTROLLER_NAMESPACE_LABEL/);
  t.same(parseConfig({ CONTROLLER_NAMESPACE_LABEL: 'otel=' }, 'v').controller.namespaceLabel, { key: 'otel', value: '' }, 'an empty label value is allowed, as in Kubernetes');
  t.throws(() => parseConfig({ CONTROLLER_NAMESPACE_LABEL: 'bad key!=x' }, 'v'), /CONTROLLER_NAMESPACE_LABEL/);
});
