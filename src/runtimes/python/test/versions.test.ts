// Apps that carry OpenTelemetry Python of their own (issue 20), one real venv per release family: our SDK is
// vendored under a private package name and the app's API is bridged to it. An app that has the API (and maybe
// the SDK and instrumentations) but does not set it up is instrumented: its server, client and manual spans in
// one trace with no duplicate, its own counter and log line exported through us, and `import opentelemetry…`
// in the app still gives its own files at its own version. An app that sets up its own SDK (at another release
// than ours) steps us aside with a line naming its SDK version; its side exports everything, once.
// The table in docs/python.md ("An app that carries OpenTelemetry") lists these families and their outcome.
import { join } from 'node:path';
import t from 'tap';
import { getJson, pythonEnv, startPyApp } from './support/app.js';
import { CLIENT, SERVER, startReceiver, type ReceiverState, type SpanRecord } from './support/otlp.js';
import { ensurePayload, ensureVenv, pinned, testedPythons } from './support/python.js';

await ensurePayload();
const pythons = testedPythons();
const highest = pythons.at(-1) ?? '3.13';
const lowest = pythons[0] ?? '3.9';

interface Family { minor: string; api: string; sdk?: string; instrumentation?: string; appInstruments?: boolean }

// API only (what FastAPI >= 0.145 brings), and API + SDK + FastAPI instrumentation that the app does not set up.
// The oldest supported (1.25), releases on both sides of the names the research found missing in older APIs
// (1.28 AnyValue, 1.30 advisory buckets, 1.35 LogRecord(context=), 1.42 RANDOM_TRACE_ID, 1.43 _set_items,
// 1.45 _clean_attribute_value) and the newest. CPython 3.9 (vendored SDK 1.41.1): the oldest and an SDK set.
const FAMILIES: readonly Family[] = [
  { minor: highest, api: '1.25.0' },
  { minor: highest, api: '1.29.0' },
  { minor: highest, api: '1.34.1' },
  { minor: highest, api: '1.39.1' },
  { minor: highest, api: '1.42.1' },
  { minor: highest, api: '1.44.0' },
  { minor: highest, api: '1.45.3' },
  { minor: highest, api: '1.25.0', sdk: '1.25.0', instrumentation: '0.46b0' },
  { minor: highest, api: '1.39.1', sdk: '1.39.1', instrumentation: '0.60b1' },
  { minor: highest, api: '1.44.0', sdk: '1.44.0', instrumentation: '0.65b0' },
  // the app applies its own installed FastAPI and httpx instrumentors, with no SDK set up
  { minor: highest, api: '1.39.1', sdk: '1.39.1', instrumentation: '0.60b1', appInstruments: true },
  { minor: lowest, api: '1.25.0' },
  { minor: lowest, api: '1.39.1', sdk: '1.39.1', instrumentation: '0.60b1' },
];

function requirementsOf(f: Family): string[] {
  const pins: Record<string, string> = { 'opentelemetry-api': f.api };
  if (f.sdk !== undefined) pins['opentelemetry-sdk'] = f.sdk;
  if (f.instrumentation !== undefined) pins['opentelemetry-instrumentation-fastapi'] = f.instrumentation;
  if (f.appInstruments === true && f.instrumentation !== undefined) pins['opentelemetry-instrumentation-httpx'] = f.instrumentation;
  return pinned(f.minor, pins);
}

const label = (f: Family): string => `opentelemetry-api ${f.api}${f.sdk ? ` + sdk ${f.sdk} + instrumentation-fastapi ${f.instrumentation}` : ' only'}${f.appInstruments ? ' (+ httpx), its own instrumentors applied' : ''}`;

for (const f of FAMILIES) {
  t.test(`CPython ${f.minor}: an app with ${label(f)}, not set up: instrumented through its own API, its imports its own`, async (t) => {
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const venv = await ensureVenv(`carrier-${f.api}${f.sdk ? '-sdk' : ''}${f.appInstruments ? '-instr' : ''}`, f.minor, requirementsOf(f));
    const app = await startPyApp(venv, pythonEnv(receiver.url, 'carrier', f.appInstruments ? { APP_INSTRUMENTS: 'true' } : {}), { appDir: 'carrier' });
    t.teardown(() => app.stop());
    for (let i = 0; i < 2; i++) {
      const r = await getJson(`${app.url}/hello`);
      t.equal(r.status, 200, 'the app serves');
      t.same(r.json, { inner: { ok: true }, current_is_manual: true }, 'its get_current_span() is its own manual span');
    }
    const where = (await getJson(`${app.url}/where`)).json as { files: Record<string, string | null>; versions: Record<string, string | null> };
    const site = venv.sitePackages();
    t.equal(where.versions['opentelemetry-api'], f.api, 'the app\'s metadata: its own API version');
    for (const m of ['opentelemetry.trace', 'opentelemetry.context', 'opentelemetry.metrics']) {
      t.equal(where.files[m], join(site, ...m.split('.'), '__init__.py'), `import ${m} gives the app's own file`);
    }
    t.equal(where.files['opentelemetry.sdk.trace'], f.sdk ? join(site, 'opentelemetry', 'sdk', 'trace', '__init__.py') : null,
      f.sdk ? 'import opentelemetry.sdk.trace gives the app\'s own SDK' : 'no opentelemetry.sdk for an app without one (ours is not importable by that name)');

    const hello = (s: ReceiverState): SpanRecord[] => s.spans.filter((x) => x.kind === SERVER && x.attributes['http.route'] === '/hello');
    const complete = (s: ReceiverState): boolean => hello(s).length >= 2 && s.spans.filter((x) => x.name === 'manual-work').length >= 2 &&
      s.spans.filter((x) => x.kind === SERVER && x.attributes['http.route'] === '/inner').length >= 2 &&
      s.logs.filter((l) => l.body === 'hello served').length >= 2 && s.metrics.some((m) => m.name === 'carrier.orders');
    const st = await receiver.waitFor(complete, 20000).catch(() => receiver);
    await new Promise((res) => setTimeout(res, 1200)); // a duplicate would have been exported by now
    const servers = hello(st);
    t.equal(servers.length, 2, `one server span per request, no duplicate (${servers.map((s) => s.scope).join(', ')})`);
    for (const server of servers) {
      const manual = st.spans.filter((x) => x.name === 'manual-work' && x.parentSpanId === server.spanId);
      t.equal(manual.length, 1, 'the app\'s manual span is a child of our server span');
      t.equal(manual[0]?.traceId, server.traceId, 'in the same trace');
      t.equal(manual[0]?.scope, 'carrier.manual', 'with the app\'s tracer name');
      t.equal(manual[0]?.attributes['carrier.step'], 'lookup');
      const client = st.spans.filter((x) => x.kind === CLIENT && x.parentSpanId === manual[0]?.spanId);
      t.equal(client.length, 1, 'one httpx client span, a child of the manual span');
      const inner = st.spans.filter((x) => x.kind === SERVER && x.attributes['http.route'] === '/inner' && x.parentSpanId === client[0]?.spanId);
      t.equal(inner.length, 1, 'the called service continues the trace (propagation through our httpx instrumentation)');
      const log = st.logs.filter((l) => l.body === 'hello served' && l.spanId === manual[0]?.spanId);
      t.equal(log.length, 1, 'the log line, once, inside the manual span');
    }
    const counter = st.metrics.filter((m) => m.name === 'carrier.orders');
    t.ok(counter.length > 0, 'the app\'s counter (made through its API before anything was set) exported through ours');
    t.equal(counter.at(-1)?.points.reduce((s, p) => s + (p.value ?? 0), 0), 2, 'with both adds');
    t.ok(st.metrics.some((m) => m.name === 'http.server.duration' || m.name === 'http.server.request.duration'), 'HTTP server metrics');
    t.same(app.injectorLines(), f.appInstruments
      ? [`otel-injector: python: httpx: the app applies its own opentelemetry-instrumentation-httpx ${f.instrumentation}; the injected one is not applied to it (no duplicate spans)`]
      : [], f.appInstruments ? 'one line: the app\'s own httpx instrumentor replaces ours' : 'no otel-injector line');
    t.notMatch(app.stderr(), /Traceback/);
  });
}

t.test(`CPython ${highest}: an app that sets up its own SDK 1.39.1 (ENABLE_TRACING=true, the issue's versions): its side exports once, one line naming its SDK`, async (t) => {
  const ourReceiver = await startReceiver();
  const theirs = await startReceiver();
  t.teardown(async () => { await ourReceiver.close(); await theirs.close(); });
  const venv = await ensureVenv('own-sdk-1.39', highest, pinned(highest, {
    'opentelemetry-api': '1.39.1', 'opentelemetry-sdk': '1.39.1', 'opentelemetry-exporter-otlp-proto-http': '1.39.1',
    'opentelemetry-instrumentation-fastapi': '0.60b1', 'opentelemetry-instrumentation-httpx': '0.60b1',
  }));
  const app = await startPyApp(venv, pythonEnv(ourReceiver.url, 'own-sdk-old', { ENABLE_TRACING: 'true', OTEL_COLLECTOR_ENDPOINT: theirs.url }));
  t.teardown(() => app.stop());
  const r = await getJson(`${app.url}/orders/7`);
  t.same(r.json, { id: 7 }, 'the app serves');
  const st = await theirs.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/orders/{order_id}'), 15000).catch(() => theirs);
  await new Promise((res) => setTimeout(res, 1200));
  const servers = [...ourReceiver.spans, ...st.spans].filter((x) => x.kind === SERVER && x.attributes['http.route'] === '/orders/{order_id}');
  t.equal(servers.length, 1, 'exactly one server span for the request');
  t.equal(servers[0]?.resource['telemetry.setup'], 'shared.monitoring', 'exported by the app\'s own SDK, its resource');
  t.equal(ourReceiver.spans.length, 0, 'no span through our exporter');
  t.same(app.injectorLines(), [
    'otel-injector: python: not instrumented: the app sets its own OpenTelemetry TracerProvider (opentelemetry-sdk 1.39.1 in the app); '
    + 'the app\'s SDK exports from now on',
  ], 'one line naming the case and the app\'s SDK version');
  t.notMatch(app.stderr(), /Traceback/);
});
