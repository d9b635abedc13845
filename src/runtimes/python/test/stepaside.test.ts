// Where the payload must leave room for what the image or the app already does: the image's own
// sitecustomize (in a PYTHONPATH directory after ours, or in site-packages) keeps running; an app that sets up
// its own SDK the first user's way keeps exporting through it with no duplicates; a current FastAPI, which
// itself depends on opentelemetry-api and has telemetry of its own, gets one server span per request, or,
// with another opentelemetry-api than ours, also one (our SDK is vendored, the app's API bridged to it). (Conflicts: conflicts.test.ts; OTEL_SDK_DISABLED:
// config.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { appFor, getJson, plainEnv, pythonEnv, startPyApp } from './support/app.js';
import { CLIENT, SERVER, startReceiver } from './support/otlp.js';
import { APPS, PY_PAYLOAD } from './support/paths.js';
import { ensurePayload, ensureVenv, ourVersion, pinned, shopRequirements, testedPythons } from './support/python.js';

await ensurePayload();
const highest = testedPythons().at(-1) ?? '3.13';

const SITECUSTOMIZE_IN_SITE_PACKAGES = readFileSync(join(APPS, 'own-sitecustomize', 'sitecustomize.py'), 'utf8').replace(/(["'])pythonpath;\1/, "'site-packages;'");

for (const where of ['a PYTHONPATH directory after ours', 'the venv\'s site-packages'] as const) {
  t.test(`CPython ${highest}: the image's own sitecustomize in ${where} still runs, once, and the app is instrumented`, async (t) => {
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const inPath = where.startsWith('a PYTHONPATH');
    const env = pythonEnv(receiver.url, 'customized', inPath ? { PYTHONPATH: `${PY_PAYLOAD}:${join(APPS, 'own-sitecustomize')}` } : {});
    const app = inPath
      ? await appFor(t, 'shop', highest, shopRequirements(highest), env)
      : await appFor(t, 'own-sitecustomize', highest, shopRequirements(highest), env, { 'sitecustomize.py': SITECUSTOMIZE_IN_SITE_PACKAGES });
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
  const downstream = await startPyApp(await ensureVenv('shop', highest, shopRequirements(highest)), plainEnv());
  t.teardown(() => downstream.stop());
  const app = await appFor(t, 'own-sdk', highest, pinned(highest, {
    'opentelemetry-sdk': sdk, 'opentelemetry-api': ourVersion(highest, 'opentelemetry-api'), 'opentelemetry-exporter-otlp-proto-http': sdk,
    'opentelemetry-instrumentation-fastapi': instr, 'opentelemetry-instrumentation-httpx': instr,
  }), pythonEnv(ourReceiver.url, 'own-sdk', {
    ENABLE_TRACING: 'true', ENABLE_OTEL_METRICS: 'true', OTEL_COLLECTOR_ENDPOINT: theirs.url, DOWNSTREAM_URL: downstream.url,
  }));
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
  const app = await appFor(t, 'current-fastapi', highest, pinned(highest, { ...CURRENT_FASTAPI, 'opentelemetry-api': api }), pythonEnv(receiver.url, 'modern'));
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

t.test(`CPython ${highest}: a current FastAPI with another opentelemetry-api than ours (1.44.0): instrumented through its API, one server span per request, its imports its own`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const ours = ourVersion(highest, 'opentelemetry-api');
  const theirs = ours === '1.44.0' ? '1.45.0' : '1.44.0';
  const app = await appFor(t, 'current-fastapi-other-api', highest, pinned(highest, { ...CURRENT_FASTAPI, 'opentelemetry-api': theirs }), pythonEnv(receiver.url, 'modern-other'));
  t.same((await getJson(`${app.url}/orders/12`)).json, { id: 12 }, 'the app serves');
  const where = (await getJson(`${app.url}/module/opentelemetry.trace`)).json;
  t.match(String(where.file), /\/site-packages\/opentelemetry\/trace\/__init__\.py$/, 'the app\'s opentelemetry is its own');
  const isOrder = (x: { kind: number; name: string; attributes: Record<string, unknown> }): boolean => x.kind === SERVER && (x.attributes['http.route'] === '/orders/{order_id}' || /orders/.test(x.name));
  await receiver.waitFor((s) => s.spans.some(isOrder) && s.logs.some((l) => l.body === 'order 12 served'), 15000).catch(() => receiver);
  await new Promise((res) => setTimeout(res, 1000));
  const servers = receiver.spans.filter(isOrder);
  t.equal(servers.length, 1, `exactly one server span for the request (${servers.map((s) => `${s.name} [${s.scope}]`).join(', ')})`);
  t.equal(servers[0]?.scope, 'opentelemetry.instrumentation.fastapi', 'ours (FastAPI\'s own telemetry stood down for our middleware)');
  t.notOk(receiver.spans.some((s) => s.scope.startsWith('fastapi')), 'no FastAPI built-in span');
  t.same(app.injectorLines(), [], 'no otel-injector line');
});
