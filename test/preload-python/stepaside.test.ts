// When the payload must step aside (or must not): an app whose venv has a package our instrumentation needs
// in an incompatible version; an app pinning an old protobuf (we need none); an image with its own
// sitecustomize; an app that sets up its own SDK the first user's way; a current FastAPI, which itself
// depends on opentelemetry-api and has telemetry of its own. (OTEL_SDK_DISABLED: config.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { getJson, plainEnv, pythonEnv, startPyApp, type PyApp } from './support/app.js';
import { CLIENT, SERVER, startReceiver, type Receiver } from './support/otlp.js';
import { APPS, PY_PAYLOAD } from './support/paths.js';
import { ensurePayload, ensureVenv, manifest, ourVersion, requirements, testedPythons } from './support/python.js';

await ensurePayload();
const pythons = testedPythons();
const highest = pythons.at(-1) ?? '3.13';
const base = (minor: string): string[] => requirements(minor === '3.9' ? 'shop-py39.txt' : 'shop-py310plus.txt');
const norm = (s: string): string => s.toLowerCase().replace(/[-_.]+/g, '-');

/** `base` with these pins replacing the same distributions' lines (or added). */
function pinned(minor: string, pins: Record<string, string>): string[] {
  const names = new Set(Object.keys(pins).map(norm));
  const kept = base(minor).filter((l) => !names.has(norm(l.split(/[=<>;\s[]/)[0] ?? '')));
  return [...kept, ...Object.entries(pins).map(([n, v]) => `${n}==${v}`)];
}

const STEP_ASIDE = /^otel-injector: python: not instrumented: /;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits a while for anything the app would export, then returns what the receiver got. */
async function quietFor(receiver: Receiver, ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return receiver.requests.length;
}

/** The shop app from the venv `name` (built once with `reqs` and `files`), stopped when `t` ends. */
async function withApp(t: Test, minor: string, reqs: string[], env: Record<string, string | undefined>, name = 'shop', files: Record<string, string> = {}): Promise<PyApp> {
  const venv = await ensureVenv(name, minor, reqs, files);
  const app = await startPyApp(venv, env);
  t.teardown(() => app.stop());
  return app;
}

// Conflicts: a distribution our payload needs, in a version outside what our packages require.
// opentelemetry-api: any library of the app may depend on it (current FastAPI does); `opentelemetry-*` must be identical.
// packaging: opentelemetry-instrumentation needs >= 18.
function conflicts(minor: string): { dist: string; appVersion: string }[] {
  const api = ourVersion(minor, 'opentelemetry-api');
  return [
    { dist: 'opentelemetry-api', appVersion: api === '1.30.0' ? '1.29.0' : '1.30.0' },
    { dist: 'packaging', appVersion: '17.1' },
  ];
}

for (const minor of pythons) {
  for (const { dist, appVersion } of conflicts(minor)) {
    t.test(`CPython ${minor}: ${dist} ${appVersion} in the app's venv: the app serves, one "not instrumented" line names it and both versions, nothing exported`, async (t) => {
      const ours = ourVersion(minor, dist);
      const receiver = await startReceiver();
      t.teardown(() => receiver.close());
      const app = await withApp(t, minor, pinned(minor, { [dist]: appVersion }), pythonEnv(receiver.url, 'conflicted', {
        // The image's own sitecustomize runs even when we step aside.
        PYTHONPATH: `${PY_PAYLOAD}:${join(APPS, 'own-sitecustomize')}`,
      }), `conflict-${norm(dist)}`);
      const r = await getJson(`${app.url}/orders/9`);
      t.equal(r.status, 200, 'the app serves');
      t.same(r.json, { id: 9 });
      t.same((await getJson(`${app.url}/sitecustomize`)).json, { ran: 'pythonpath;' }, 'the image\'s own sitecustomize still ran, once');
      const lines = app.injectorLines();
      t.equal(lines.length, 1, `exactly one otel-injector line (${lines.join(' | ')})`);
      const line = lines[0] ?? '';
      t.match(line, STEP_ASIDE, 'the greppable step-aside prefix');
      t.match(line, new RegExp(`: ${dist.replace('-', '[-_]')} ${escape(appVersion)} in the app, the injected instrumentation needs \\S.* \\(${escape(ours)}\\)$`), `names ${dist}, the app's ${appVersion} and our ${ours}`);
      t.equal(await quietFor(receiver, 2000), 0, 'nothing exported');
    });
  }
}

t.test(`CPython ${highest}: an app pinning an old protobuf (3.20.3) serves AND is instrumented: the payload needs no protobuf (the peers' exporters do)`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  t.notOk(Object.keys(manifest(highest)?.dists ?? {}).some((d) => norm(d) === 'protobuf'), 'protobuf is not in our manifest');
  const app = await withApp(t, highest, pinned(highest, { protobuf: '3.20.3' }), pythonEnv(receiver.url, 'legacy-proto'), 'old-protobuf');
  const r = await getJson(`${app.url}/protobuf`);
  t.equal(r.status, 200);
  t.same(r.json, { version: '3.20.3', bytes: 20 }, 'the app\'s own protobuf 3.20.3 is the one imported, and works');
  const st = await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/protobuf'), 15000).catch(() => receiver);
  t.ok(st.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/protobuf'), 'its server span arrived');
  t.same(receiver.errors, [], 'exported as OTLP protobuf all the same');
  t.same(app.injectorLines(), [], 'no otel-injector line');
});

for (const minor of pythons) {
  t.test(`CPython ${minor}: a compatible but different wrapt (1.17.2) in the app: the app's own copy is the one imported, and it is instrumented`, async (t) => {
    const ours = ourVersion(minor, 'wrapt');
    t.not(ours, '1.17.2', `ours is another version (${ours})`);
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const app = await withApp(t, minor, pinned(minor, { wrapt: '1.17.2' }), pythonEnv(receiver.url, 'own-wrapt'), 'own-wrapt');
    const r = await getJson(`${app.url}/module/wrapt`);
    t.equal(r.json.version, '1.17.2', 'import wrapt gives the app\'s version');
    t.match(String(r.json.file), /\/site-packages\/wrapt\//, 'from the app\'s site-packages, not from our zip');
    const st = await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/module/{name}'), 15000).catch(() => receiver);
    t.ok(st.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/module/{name}'), 'instrumented (with the app\'s wrapt)');
    t.same(app.injectorLines(), [], 'no otel-injector line');
  });
}

const SITECUSTOMIZE_IN_SITE_PACKAGES = readFileSync(join(APPS, 'own-sitecustomize', 'sitecustomize.py'), 'utf8').replace('"pythonpath;"', '"site-packages;"');

for (const where of ['a PYTHONPATH directory after ours', 'the venv\'s site-packages'] as const) {
  t.test(`CPython ${highest}: the image's own sitecustomize in ${where} still runs, once, and the app is instrumented`, async (t) => {
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const inPath = where.startsWith('a PYTHONPATH');
    const env = pythonEnv(receiver.url, 'customized', inPath ? { PYTHONPATH: `${PY_PAYLOAD}:${join(APPS, 'own-sitecustomize')}` } : {});
    const app = inPath
      ? await withApp(t, highest, base(highest), env)
      : await withApp(t, highest, base(highest), env, 'own-sitecustomize', { 'sitecustomize.py': SITECUSTOMIZE_IN_SITE_PACKAGES });
    t.same((await getJson(`${app.url}/sitecustomize`)).json, { ran: inPath ? 'pythonpath;' : 'site-packages;' }, 'its side effect is there, once');
    const st = await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/sitecustomize'), 15000).catch(() => receiver);
    t.ok(st.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/sitecustomize'), 'and our server span arrived');
    t.same(app.injectorLines(), [], 'no otel-injector line');
  });
}

t.test(`CPython ${highest}: the app sets up its own SDK the first user's way (ENABLE_TRACING=true): its side exports, no duplicates, one line`, async (t) => {
  const ourReceiver = await startReceiver();
  const theirs = await startReceiver();
  t.teardown(async () => { await ourReceiver.close(); await theirs.close(); });
  const sdk = ourVersion(highest, 'opentelemetry-sdk');
  const instr = ourVersion(highest, 'opentelemetry-instrumentation');
  const downstream = await startPyApp(await ensureVenv('shop', highest, base(highest)), plainEnv());
  t.teardown(() => downstream.stop());
  const app = await withApp(t, highest, pinned(highest, {
    'opentelemetry-sdk': sdk, 'opentelemetry-api': ourVersion(highest, 'opentelemetry-api'), 'opentelemetry-exporter-otlp-proto-http': sdk,
    'opentelemetry-instrumentation-fastapi': instr, 'opentelemetry-instrumentation-httpx': instr,
  }), pythonEnv(ourReceiver.url, 'own-sdk', {
    ENABLE_TRACING: 'true', ENABLE_OTEL_METRICS: 'true', OTEL_COLLECTOR_ENDPOINT: theirs.url, DOWNSTREAM_URL: downstream.url,
  }), 'own-sdk');
  const r = await getJson(`${app.url}/orders/5`);
  t.equal(r.status, 200);
  t.same(r.json, { id: 5, stock: { item: 5, stock: 3 } }, 'the app works as without us');
  await theirs.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/orders/{order_id}') && s.logs.some((l) => l.body === 'order 5 served'), 15000).catch(() => theirs);
  await new Promise((res) => setTimeout(res, 1500)); // anything duplicated would have been exported by now (schedule 200 ms)
  const all = [...ourReceiver.spans, ...theirs.spans];
  const servers = all.filter((x) => x.kind === SERVER && x.attributes['http.route'] === '/orders/{order_id}');
  const clients = all.filter((x) => x.kind === CLIENT && /\/stock\/5$/.test(String(x.attributes['url.full'] ?? x.attributes['http.url'])));
  t.equal(servers.length, 1, 'exactly one server span for the request');
  t.equal(clients.length, 1, 'exactly one httpx client span');
  t.ok(theirs.spans.includes(servers[0] as never), 'exported by the app\'s own SDK');
  t.equal(servers[0]?.resource['telemetry.setup'], 'shared.monitoring', 'with the app\'s own resource');
  t.equal(clients[0]?.parentSpanId, servers[0]?.spanId, 'the client span is a child of the server span');
  const served = [...ourReceiver.logs, ...theirs.logs].filter((l) => l.body === 'order 5 served');
  t.equal(served.length, 1, 'the log record exported once');
  t.equal(served[0]?.traceId, servers[0]?.traceId, 'with the request\'s trace');
  t.ok(theirs.logs.includes(served[0] as never), 'by the app\'s own logger provider');
  t.equal(ourReceiver.spans.length, 0, 'no span through our exporter');
  const lines = app.injectorLines();
  t.equal(lines.length, 1, `one otel-injector line (${lines.join(' | ')})`);
  t.match(lines[0] ?? '', /^otel-injector: python: /);
  t.notMatch(app.stderr(), /Traceback/);
});

// FastAPI 0.145 and later depend on opentelemetry-api and emit telemetry of their own once a provider is set.
const CURRENT_FASTAPI = { fastapi: '0.165.0', starlette: '1.10.0' };

t.test(`CPython ${highest}: a current FastAPI (${CURRENT_FASTAPI.fastapi}, depends on opentelemetry-api) with our opentelemetry-api version: instrumented, one server span per request`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const api = ourVersion(highest, 'opentelemetry-api');
  const app = await withApp(t, highest, pinned(highest, { ...CURRENT_FASTAPI, 'opentelemetry-api': api }), pythonEnv(receiver.url, 'modern'), 'current-fastapi');
  t.same((await getJson(`${app.url}/orders/11`)).json, { id: 11 });
  const isOrder = (x: { kind: number; name: string; attributes: Record<string, unknown> }): boolean => x.kind === SERVER && (x.attributes['http.route'] === '/orders/{order_id}' || /orders/.test(x.name));
  await receiver.waitFor((s) => s.spans.some(isOrder) && s.logs.some((l) => l.body === 'order 11 served'), 15000).catch(() => receiver);
  await new Promise((res) => setTimeout(res, 1000));
  const servers = receiver.spans.filter(isOrder);
  t.equal(servers.length, 1, `exactly one server span for the request (${servers.map((s) => `${s.name} [${s.scope}]`).join(', ')})`);
  t.equal(servers[0]?.attributes['http.route'], '/orders/{order_id}');
  const log = receiver.logs.filter((l) => l.body === 'order 11 served');
  t.equal(log.length, 1, 'the log record exported once');
  t.equal(log[0]?.spanId, servers[0]?.spanId, 'in the server span');
  t.same(app.injectorLines(), [], 'no otel-injector line');
});

t.test(`CPython ${highest}: a current FastAPI with another opentelemetry-api than ours: the app serves, one "not instrumented" line`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const ours = ourVersion(highest, 'opentelemetry-api');
  const theirs = ours === '1.44.0' ? '1.45.0' : '1.44.0';
  const app = await withApp(t, highest, pinned(highest, { ...CURRENT_FASTAPI, 'opentelemetry-api': theirs }), pythonEnv(receiver.url, 'modern-other'), 'current-fastapi-other-api');
  t.same((await getJson(`${app.url}/orders/12`)).json, { id: 12 }, 'the app serves');
  const lines = app.injectorLines();
  t.equal(lines.length, 1, `one otel-injector line (${lines.join(' | ')})`);
  t.match(lines[0] ?? '', new RegExp(`^otel-injector: python: not instrumented: opentelemetry[-_]api ${escape(theirs)} in the app, .*\\(${escape(ours)}\\)$`));
  t.equal(await quietFor(receiver, 2000), 0, 'nothing exported');
});
