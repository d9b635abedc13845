// The standard OTEL_* variables change what the injected payload does, the way they do for the Node preload:
// OTEL_SDK_DISABLED, the OTLP protocol (http/protobuf, http/json; grpc is not supported: one line, nothing),
// per-signal exporters, and OTEL_PYTHON_DISABLED_INSTRUMENTATIONS.
import t, { type Test } from 'tap';
import { getJson, pythonEnv, startPyApp, type Env, type PyApp } from './support/app.js';
import { SERVER, serverSpan, startReceiver, type Receiver } from './support/otlp.js';
import { ensurePayload, ensureVenv, shopRequirements, testedPythons } from './support/python.js';
import { startRedis } from './support/servers.js';

await ensurePayload();
const minor = testedPythons().at(-1) ?? '3.13';
const venv = await ensureVenv('shop', minor, shopRequirements(minor));

async function appWith(t: Test, receiver: Receiver, service: string, extra: Env): Promise<PyApp> {
  const app = await startPyApp(venv, pythonEnv(receiver.url, service, extra));
  t.teardown(() => app.stop());
  return app;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test(`CPython ${minor}: OTEL_SDK_DISABLED=true: the app serves, nothing is exported, nothing printed`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const app = await appWith(t, receiver, 'disabled', { OTEL_SDK_DISABLED: 'true' });
  t.same((await getJson(`${app.url}/orders/3`)).json, { id: 3 });
  await pause(2000); // metrics every 1 s, spans every 200 ms if anything were running
  t.equal(receiver.requests.length, 0, 'nothing exported');
  t.same(app.injectorLines(), [], 'no otel-injector line');
  t.notMatch(app.stderr(), /Traceback/);
});

t.test(`CPython ${minor}: OTEL_EXPORTER_OTLP_PROTOCOL=http/json is exported as OTLP JSON`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const app = await appWith(t, receiver, 'json', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  t.equal((await getJson(`${app.url}/stock/4`)).status, 200);
  const st = await receiver.waitFor((s) => serverSpan(s, 'json', '/stock/{item_id}') !== undefined && s.logs.some((l) => l.body === 'stock of 4 looked up') && s.metrics.length > 0, 15000).catch(() => receiver);
  t.ok(serverSpan(st, 'json', '/stock/{item_id}'), 'the server span decoded from JSON');
  t.ok(st.logs.some((l) => l.body === 'stock of 4 looked up'), 'the log record decoded from JSON');
  t.ok(st.metrics.length > 0, 'metrics decoded from JSON');
  t.same(receiver.errors, [], 'every body decoded');
  t.ok(receiver.requests.length > 0 && receiver.requests.every((r) => r.contentType.startsWith('application/json')), 'content-type application/json');
  t.same(app.injectorLines(), []);
});

t.test(`CPython ${minor}: OTEL_EXPORTER_OTLP_PROTOCOL=grpc (not supported): the app serves, one line, nothing exported`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const app = await appWith(t, receiver, 'grpc', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  t.equal((await getJson(`${app.url}/stock/5`)).status, 200);
  await pause(2000);
  t.equal(receiver.requests.length, 0, 'nothing sent');
  const lines = app.injectorLines();
  t.equal(lines.length, 1, `one otel-injector line (${lines.join(' | ')})`);
  t.match(lines[0] ?? '', /^otel-injector: python: .*grpc/, 'it names the protocol');
});

t.test(`CPython ${minor}: OTEL_TRACES_EXPORTER=none and OTEL_LOGS_EXPORTER=none leave metrics only`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const app = await appWith(t, receiver, 'metrics-only', { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
  t.equal((await getJson(`${app.url}/stock/6`)).status, 200);
  await receiver.waitFor((s) => s.metrics.some((m) => m.name === 'http.server.duration' || m.name === 'http.server.request.duration'), 15000).catch(() => receiver);
  await pause(1000);
  t.ok(receiver.metrics.some((m) => m.name === 'http.server.duration' || m.name === 'http.server.request.duration'), 'the HTTP duration metric arrives');
  t.equal(receiver.spans.length, 0, 'no spans');
  t.equal(receiver.logs.length, 0, 'no logs');
  t.notOk(receiver.requests.some((r) => r.path !== '/v1/metrics'), 'only /v1/metrics was called');
  t.same(app.injectorLines(), []);
});

t.test(`CPython ${minor}: OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=redis: no redis spans, the rest as usual`, async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const app = await appWith(t, receiver, 'no-redis', { OTEL_PYTHON_DISABLED_INSTRUMENTATIONS: 'redis', REDIS_URL: redis.url });
  t.same((await getJson(`${app.url}/orders/8`)).json, { id: 8, cache: 'seen' }, 'the app uses Redis');
  const st = await receiver.waitFor((s) => serverSpan(s, 'no-redis', '/orders/{order_id}') !== undefined, 15000).catch(() => receiver);
  await pause(1000);
  const server = serverSpan(st, 'no-redis', '/orders/{order_id}');
  t.ok(server, 'the server span is there');
  t.equal(receiver.spans.filter((s) => s.attributes['db.system'] === 'redis' || s.attributes['db.system.name'] === 'redis').length, 0, 'no redis span');
  t.equal(receiver.spans.filter((s) => s.kind === SERVER && s.attributes['http.route'] === '/orders/{order_id}').length, 1, 'one server span for the request');
  t.same(app.injectorLines(), []);
});
