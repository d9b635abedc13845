import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { DEFAULT_RUNTIME_NAMES } from '../../src/runtimes/index.js';
import { parseQuantity } from '../../src/config/quantity.js';
import { ConfigError } from '../../src/errors.js';

t.test('defaults', async (t) => {
  const config = parseConfig({}, '1.2.3');
  t.equal(config.server.port, 8443);
  t.equal(config.certs.mode, 'ephemeral');
  t.equal(config.inject.otlpEndpoint, 'http://signoz-otel-collector.signoz.svc.cluster.local:4318');
  t.equal(config.inject.payloadImage, 'ghcr.io/otel-injector/payload:1.2.3', 'image tag follows the version');
  t.equal(config.inject.initCommand, undefined, 'no init command configured: each pod gets one copying its runtimes');
  t.equal(config.telemetry.otlpEndpoint, undefined);
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.inject.initResources.limits), 'frozen all the way down');
});

t.test('files mode is chosen when a certificate file is given, and needs both files', async (t) => {
  t.equal(parseConfig({ TLS_CERT_FILE: '/c', TLS_KEY_FILE: '/k' }, 'v').certs.mode, 'files');
  t.throws(() => parseConfig({ TLS_CERT_FILE: '/c' }, 'v'), /TLS_KEY_FILE: required/);
});

t.test('every bad value names its variable', async (t) => {
  const bad: Record<string, string> = {
    PORT: '0',
    HOST: '',
    LOG_LEVEL: 'verbose',
    MAX_BODY_BYTES: '12',
    CERT_MODE: 'auto',
    POD_NAMESPACE: 'Not_A_Label',
    INJECT_OTLP_ENDPOINT: 'collector:4318',
    INJECT_IMAGE_PULL_POLICY: 'Sometimes',
    INJECT_INIT_COMMAND: '"cp"',
    INJECT_MOUNT_PATH: 'relative/path',
    INJECT_VOLUME_SIZE_LIMIT: 'lots',
    INJECT_INIT_MEMORY_REQUEST: '1Gi',
    INJECT_INIT_RUN_AS_USER: '0',
    INJECT_EXTRA_ENV: '{"A=B":"x"}',
    INJECT_USE_WELL_KNOWN_LABELS: 'maybe',
    INJECT_RUNTIMES: 'node,ruby',
    TELEMETRY_OTLP_ENDPOINT: 'ftp://x',
  };
  for (const [name, value] of Object.entries(bad)) {
    if (value === '') continue;
    const error = (() => {
      try {
        parseConfig({ [name]: value }, 'v');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    t.type(error, ConfigError, `${name}=${value} is rejected`);
    t.equal((error as ConfigError | undefined)?.variable, name);
  }
});

t.test('values are parsed', async (t) => {
  const config = parseConfig(
    {
      INJECT_EXTRA_ENV: '{"ENABLE_TRACING":"true"}',
      INJECT_SKIP_OWNER_KINDS: 'Job, CronJob ,',
      INJECT_INIT_COMMAND: '["/copy","--to","/x"]',
      INJECT_MOUNT_PATH: '/opt/otel/',
      CERT_MODE: 'self-managed',
    },
    'v',
  );
  t.same(config.inject.extraEnv, { ENABLE_TRACING: 'true' });
  t.same(config.inject.skipOwnerKinds, ['Job', 'CronJob']);
  t.same(config.inject.initCommand, ['/copy', '--to', '/x']);
  t.equal(config.inject.mountPath, '/opt/otel', 'trailing slash dropped');
  t.equal(config.certs.mode, 'self-managed');
});

t.test('INJECT_RUNTIMES: default both, registry order, unknown or empty rejected', async (t) => {
  t.same(parseConfig({}, 'v').inject.runtimes, DEFAULT_RUNTIME_NAMES, 'default: every runtime but java (opt-in)');
  t.same(DEFAULT_RUNTIME_NAMES, ['node', 'python']);
  t.same(parseConfig({ INJECT_RUNTIMES: 'java,node,python' }, 'v').inject.runtimes, ['node', 'python', 'java'], 'java when named, registry order');
  t.same(parseConfig({ INJECT_RUNTIMES: ' python , node ' }, 'v').inject.runtimes, ['node', 'python'], 'registry order, trimmed');
  t.same(parseConfig({ INJECT_RUNTIMES: 'python,python' }, 'v').inject.runtimes, ['python'], 'duplicates once');
  t.same(parseConfig({ INJECT_RUNTIMES: 'node' }, 'v').inject.runtimes, ['node']);
  t.throws(() => parseConfig({ INJECT_RUNTIMES: 'node,ruby' }, 'v'), /INJECT_RUNTIMES: unknown runtime "ruby" \(known: node, python, java\)/);
  t.throws(() => parseConfig({ INJECT_RUNTIMES: 'Node' }, 'v'), /INJECT_RUNTIMES: unknown runtime "Node"/, 'names are case-sensitive');
  t.throws(() => parseConfig({ INJECT_RUNTIMES: ' , ' }, 'v'), /INJECT_RUNTIMES: names no runtime/);
});

t.test('quantities', async (t) => {
  t.equal(parseQuantity('100m'), 0.1);
  t.equal(parseQuantity('64Mi'), 64 * 2 ** 20);
  t.equal(parseQuantity('1e3'), 1000);
  t.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
  t.equal(parseQuantity('12Q'), undefined);
  t.equal(parseQuantity(''), undefined);
});

t.test('every variable src/config reads is documented in the README', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL('../../src/config/index.ts', import.meta.url), 'utf8');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const read = new Set([...source.matchAll(/\(\s*(?:read, )?'([A-Z][A-Z0-9_]+)'/g)].map((match) => match[1]));
  t.ok(read.size >= 25, `found ${read.size} variables in src/config`);
  const firstCells = readme
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|')[1] ?? '');
  for (const name of read) t.ok(firstCells.some((cell) => cell.includes(`\`${name}\``)), `${name} documented in a README table`);
});
