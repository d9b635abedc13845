// Pure parts of the preload: configuration parsing, instrumentation selection (upstream meaning of
// the OTEL_NODE_* lists), entry-point kind, and the signal re-raise decision.
import t from 'tap';
import { endpointProblem, parseConfig } from '../payload/config.js';
import { selectInstrumentations } from '../payload/select.js';
import { entryIsEsm } from '../payload/entry.js';
import { othersWouldExit, type SignalProcess } from '../payload/shutdown.js';
import { supportsSyncHooks } from '../payload/esm.js';
import { detectorNames } from '../payload/resource.js';
import { parseDiskstats } from '../payload/diskio.js';
import { byPackage, packageName, pendingActivations, splitEagerLazy } from '../payload/lazy.js';

t.test('parseConfig: webhook env, defaults and bad values', async (t) => {
  const c = parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_EXPORTER: 'otlp' });
  t.equal(c.disabled, false);
  t.equal(c.protocol, 'http/protobuf');
  t.same(c.problems, []);
  t.same(c.propagators, ['tracecontext', 'baggage']);
  t.same(c.resourceDetectors, ['env', 'host', 'os', 'process', 'container', 'serviceinstance'], 'local detectors only by default');
  t.equal(c.metricIntervalMs, 60000);
  t.equal(c.shutdownTimeoutMs, 1000, 'what flushing may add to the end of the process: 1 s by default');
  t.equal(parseConfig({ OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS: '2500' }).shutdownTimeoutMs, 2500);
  t.equal(parseConfig({ OTEL_SDK_DISABLED: 'TRUE' }).disabled, true);
  t.equal(parseConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).protocol, 'http/protobuf', 'grpc falls back');
  t.match(parseConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).notices[0], /grpc is not supported/);
  t.equal(parseConfig({ OTEL_METRIC_EXPORT_INTERVAL: 'soon' }).metricIntervalMs, 60000, 'bad number → default');
  t.equal(parseConfig({ OTEL_TRACES_EXPORTER: 'none' }).traces, 'none');
  t.equal(parseConfig({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: ' ' }).enabledInstrumentations, undefined, 'blank list = unset');
  t.match(parseConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318/v1/traces' }).problems[0], /TRACES_ENDPOINT/);
  t.equal(endpointProblem('X', 'https://a.b:4318/'), undefined);
  t.match(endpointProblem('X', 'ftp://a') ?? '', /http\(s\)/);
  t.match(endpointProblem('X', 'nope') ?? '', /not a valid URL/);
});

t.test('selectInstrumentations keeps the upstream meaning of the lists', async (t) => {
  const all = selectInstrumentations(undefined, []);
  t.ok(all.names.includes('http') && all.names.includes('express') && all.names.includes('pg'), 'common ones on');
  for (const noisy of ['fs', 'dns', 'net']) t.notOk(all.names.includes(noisy), `${noisy} off by default`);
  t.same([...selectInstrumentations(['http', '@opentelemetry/instrumentation-pino', 'fs'], []).names].sort(), ['fs', 'http', 'pino'], 'enabled list is exact, short or package names');
  t.notOk(selectInstrumentations(undefined, ['express']).names.includes('express'), 'disabled list wins');
  t.notOk(selectInstrumentations(['http', 'express'], ['express']).names.includes('express'), 'disabled beats enabled');
  t.same(selectInstrumentations(['http', 'nosuch'], []).unknown, ['nosuch']);
});

t.test('detector names: none, all, unknown', async (t) => {
  t.same(detectorNames(['none']).names, []);
  t.ok(detectorNames(['all']).names.includes('gcp'), 'all includes cloud detectors');
  t.same(detectorNames(['env', 'aws', 'moon']), { names: ['env', 'aws'], unknown: ['moon'] });
});

t.test('entryIsEsm: extension, then nearest package.json type', async (t) => {
  const files: Record<string, string> = { '/app/package.json': '{"type":"module"}', '/cjs/package.json': '{"name":"x"}' };
  const read = (p: string): string | undefined => files[p];
  t.equal(entryIsEsm('/x/server.mjs', read), true);
  t.equal(entryIsEsm('/app/server.cjs', read), false);
  t.equal(entryIsEsm('/app/src/server.js', read), true);
  t.equal(entryIsEsm('/cjs/server.js', read), false);
  t.equal(entryIsEsm('/none/server.js', read), false);
  t.equal(entryIsEsm(undefined, read), false);
  t.equal(entryIsEsm('/app', read), true, 'directory entry (`node /app`) uses its own package.json');
});

t.test('supportsSyncHooks follows the Node versions that fixed registerHooks', async (t) => {
  t.equal(supportsSyncHooks('20.20.2'), false);
  t.equal(supportsSyncHooks('22.22.2'), false);
  t.equal(supportsSyncHooks('22.22.3'), true);
  t.equal(supportsSyncHooks('24.11.0'), false);
  t.equal(supportsSyncHooks('24.12.0'), true);
  t.equal(supportsSyncHooks('26.0.0'), true);
});

t.test('othersWouldExit: none left, only signal-exit left, or an app handler', async (t) => {
  const proc = (n: number, v3?: number): SignalProcess => ({
    pid: 1, on: () => undefined, once: () => undefined, removeListener: () => undefined, kill: () => undefined, exit: () => undefined,
    listenerCount: () => n, ...(v3 === undefined ? {} : { __signal_exit_emitter__: { count: v3 } }),
  }) as SignalProcess;
  t.equal(othersWouldExit(proc(0), 'SIGTERM', {}), true);
  t.equal(othersWouldExit(proc(1), 'SIGTERM', {}), false, 'an app handler decides');
  t.equal(othersWouldExit(proc(1, 1), 'SIGTERM', {}), true, 'signal-exit alone would re-raise');
  t.equal(othersWouldExit(proc(2, 1), 'SIGTERM', {}), false, 'signal-exit plus an app handler');
  t.equal(othersWouldExit(proc(1), 'SIGTERM', { [Symbol.for('signal-exit emitter')]: { count: 1 } }), true, 'signal-exit v4 (on globalThis)');
});

t.test('parseDiskstats', async (t) => {
  const text = '   8       0 sda 100 0 2000 0 50 0 4000 0 0 0 0 0 0 0 0\n   7       0 loop0 1 0 2 0 0 0 0 0 0 0 0\n';
  t.same(parseDiskstats(text), [{ device: 'sda', readOps: 100, readBytes: 2000 * 512, writeOps: 50, writeBytes: 4000 * 512 }]);
});

t.test('lazy loading: package names, eager builtins, pending map', async (t) => {
  t.equal(packageName('pg'), 'pg');
  t.equal(packageName('pg/lib/client'), 'pg');
  t.equal(packageName('@redis/client/dist'), '@redis/client');
  t.equal(packageName('./local'), undefined);
  t.equal(packageName('node:http'), undefined);
  const map = { http: ['http', 'https'], pg: ['pg', 'pg-pool'], 'runtime-node': [], redis: ['redis', '@redis/client'] };
  t.same(splitEagerLazy(['http', 'pg', 'runtime-node', 'redis', 'unknown'], map), { eager: ['http', 'runtime-node', 'unknown'], lazy: ['pg', 'redis'] });
  t.same([...byPackage(['pg', 'redis'], map)], [['pg', ['pg']], ['pg-pool', ['pg']], ['redis', ['redis']], ['@redis/client', ['redis']]]);
});

t.test('pendingActivations: each instrumentation once, by whichever path sees its package first', async (t) => {
  const calls: string[] = [];
  const pending = pendingActivations(byPackage(['pg', 'redis'], { pg: ['pg', 'pg-pool'], redis: ['redis', '@redis/client'] }), (name, pkg, via) => calls.push(`${name}<-${pkg}:${via}`));
  pending.seen('file:///app/node_modules/pg/index.js', 'import');
  pending.seen('./pg', 'require');
  t.same(calls, [], 'URLs and relative paths are not package names');
  pending.seen('pg/lib/client', 'import');
  pending.seen('pg', 'require');
  pending.seen('pg-pool', 'require');
  t.same(calls, ['pg<-pg:import'], 'pg once, from the first path that saw it');
  t.equal(pending.size(), 2, 'pg-pool entry gone, redis and @redis/client still pending');
  pending.seen('@redis/client/dist/index.js', 'require');
  t.same(calls, ['pg<-pg:import', 'redis<-@redis/client:require']);
});
