// A FastAPI service in the first user's shape (uvicorn, Redis, PostgreSQL through SQLAlchemy + psycopg,
// RabbitMQ through aio-pika, a second service over httpx, stdlib logging), its dependencies in its own venv
// with no OpenTelemetry package, instrumented only through PYTHONPATH=dist/payload/python and the OTEL_*
// variables the webhook sets; judged by a real OTLP/HTTP protobuf receiver. On the lowest and the highest
// supported CPython, and once more with the first user's own OpenTelemetry packages in its venv (set up by
// nothing): the same checks. Real servers, started once for this file.
import t from 'tap';
import { get, getJson, pythonEnv, startPyApp } from './support/app.js';
import { CLIENT, CONSUMER, PRODUCER, SERVER, attr, descendsFrom, httpServerDuration, metricNames, ofService, serverSpan, startReceiver, type ReceiverState } from './support/otlp.js';
import { ensurePayload, ensureVenv, pinned, shopRequirements, testedPythons } from './support/python.js';
import { startServers } from './support/servers.js';

await ensurePayload();
const pythons = testedPythons();
const highest = pythons.at(-1) ?? '3.13';
// The first user's images (issue 20): their shared monitoring package installs OpenTelemetry's API, SDK,
// OTLP exporter and instrumentations at its own pins; with ENABLE_TRACING etc. off it sets nothing up, and
// the service must be instrumented exactly as one without any OpenTelemetry package.
const CARRIED = {
  'opentelemetry-api': '1.39.1', 'opentelemetry-sdk': '1.39.1', 'opentelemetry-exporter-otlp-proto-http': '1.39.1',
  'opentelemetry-instrumentation-fastapi': '0.60b1', 'opentelemetry-instrumentation-httpx': '0.60b1',
  'opentelemetry-instrumentation-redis': '0.60b1', 'opentelemetry-instrumentation-sqlalchemy': '0.60b1',
};
const [servers, carried, ...venvs] = await Promise.all([
  startServers(),
  ensureVenv('shop-carried', highest, pinned(highest, CARRIED)),
  ...pythons.map((minor) => ensureVenv('shop', minor, shopRequirements(minor))),
]);
t.teardown(() => servers.stop());
const CASES = [
  ...pythons.map((minor, i) => ({ minor, venv: venvs[i], what: 'instrumented through PYTHONPATH only' })),
  { minor: highest, venv: carried, what: "the first user's image: its own OpenTelemetry 1.39.1 / 0.60b1 installed, set up by nothing" },
];

/** Waits (bounded) until `done` holds, and returns what arrived either way: the assertions say what is missing. */
async function settle(receiver: { waitFor(p: (s: ReceiverState) => boolean, ms?: number): Promise<ReceiverState> } & ReceiverState, done: (s: ReceiverState) => boolean, ms = 20000): Promise<ReceiverState> {
  return receiver.waitFor(done, ms).catch(() => receiver);
}

/** The duration histogram's point for the route template: http.route, or http.target in the old conventions. */
function routePoint(st: ReceiverState): { count?: number } | undefined {
  return httpServerDuration(st, 'orders').flatMap((m) => m.points)
    .find((p) => (p.attributes['http.route'] ?? p.attributes['http.target']) === '/orders/{order_id}' && (p.count ?? 0) >= 1);
}

const SYSTEM_METRICS = ['process.cpu.utilization', 'process.memory.usage', 'system.cpu.utilization', 'system.memory.usage', 'system.disk.io', 'system.network.io'];

for (const { minor, venv, what } of CASES) {
  if (venv === undefined) throw new Error('venv missing');
  t.test(`CPython ${minor}: FastAPI + httpx + redis + SQLAlchemy/psycopg + aio-pika, ${what}`, async (t) => {
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const inventory = await startPyApp(venv, pythonEnv(receiver.url, 'inventory'));
    t.teardown(() => inventory.stop());
    const shop = await startPyApp(venv, pythonEnv(receiver.url, 'orders', {
      REDIS_URL: servers.redis, DATABASE_URL: servers.postgres, AMQP_URL: servers.rabbitmq, DOWNSTREAM_URL: inventory.url,
    }));
    t.teardown(() => shop.stop());

    const res = await getJson(`${shop.url}/orders/42`);
    t.equal(res.status, 200, 'the service answers');
    t.same(res.json, {
      id: 42, cache: 'seen', item: 'croissant-42', stock: { item: 42, stock: 3 },
      ...(servers.rabbitmq !== undefined ? { consumed: true } : {}),
    }, 'with what Redis, PostgreSQL, RabbitMQ and the other service gave it, as without the injector');

    const st = await settle(receiver, (s) => {
      const server = serverSpan(s, 'orders', '/orders/{order_id}');
      return server !== undefined &&
        serverSpan(s, 'inventory', '/stock/{item_id}') !== undefined &&
        s.spans.filter((x) => x.traceId === server.traceId).length >= 6 &&
        s.logs.some((l) => l.body === 'order 42 served') &&
        routePoint(s) !== undefined &&
        SYSTEM_METRICS.every((n) => metricNames(s, 'orders').has(n));
    });
    const server = serverSpan(st, 'orders', '/orders/{order_id}');

    t.test('server span for the FastAPI route', async (t) => {
      if (server === undefined) return void t.fail(`no SERVER span with http.route /orders/{order_id}; spans: ${st.spans.map((s) => `${s.name}(${s.kind})`).join(', ')}`);
      t.equal(server.name, 'GET /orders/{order_id}');
      t.equal(server.parentSpanId, '', 'a root span (no traceparent came in)');
      t.equal(attr(server, 'http.request.method', 'http.method'), 'GET');
      t.equal(Number(attr(server, 'http.response.status_code', 'http.status_code')), 200);
      t.match(String(attr(server, 'url.path', 'http.target')), /^\/orders\/42/);
      t.equal(st.spans.filter((s) => s.kind === SERVER && s.resource['service.name'] === 'orders' && s.attributes['http.route'] === '/orders/{order_id}').length, 1, 'exactly one server span for the one request');
    });

    t.test('httpx client span, and the other service continues the trace', async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const client = st.spans.find((s) => s.kind === CLIENT && s.resource['service.name'] === 'orders' && /\/stock\/42$/.test(String(attr(s, 'url.full', 'http.url'))));
      const downstream = serverSpan(st, 'inventory', '/stock/{item_id}');
      if (client === undefined || downstream === undefined) return void t.fail(`client ${String(client)} downstream ${String(downstream)}`);
      t.equal(client.traceId, server.traceId, 'the client span is in the request trace');
      t.equal(client.parentSpanId, server.spanId, 'child of the route\'s server span');
      t.equal(client.scope, 'opentelemetry.instrumentation.httpx');
      t.equal(downstream.traceId, server.traceId, 'the called service continues the same trace (W3C traceparent)');
      t.equal(downstream.parentSpanId, client.spanId, 'its server span is a child of the httpx client span');
    });

    t.test('Redis commands are spans in the request trace', async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const redis = st.spans.filter((s) => s.traceId === server.traceId && attr(s, 'db.system', 'db.system.name') === 'redis');
      t.same(redis.map((s) => s.name).sort(), ['GET', 'SET'], 'SET then GET');
      for (const s of redis) {
        t.equal(s.kind, CLIENT);
        t.equal(s.parentSpanId, server.spanId, `${s.name}: child of the server span`);
        const statement = String(attr(s, 'db.statement', 'db.query.text'));
        t.match(statement, new RegExp(`^${s.name}\\b`), `${s.name}: the command is the statement`);
        t.notMatch(statement, /seen/, `${s.name}: values are not recorded`);
      }
    });

    t.test('PostgreSQL queries through SQLAlchemy (psycopg 3) are spans in the request trace', async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const sql = st.spans.filter((s) => s.traceId === server.traceId && attr(s, 'db.system', 'db.system.name') === 'postgresql');
      const select = sql.find((s) => /SELECT item FROM orders WHERE id = /.test(String(attr(s, 'db.statement', 'db.query.text'))));
      const insert = sql.find((s) => /INSERT INTO orders/.test(String(attr(s, 'db.statement', 'db.query.text'))));
      t.ok(select, `the SELECT is a span (${sql.map((s) => s.name).join(', ')})`);
      t.ok(insert, 'the INSERT is a span');
      for (const s of [select, insert]) {
        if (s === undefined) continue;
        t.equal(s.kind, CLIENT);
        t.ok(descendsFrom(st.spans, s, server), `${s.name}: under the server span`);
        t.equal(attr(s, 'db.name', 'db.namespace'), 'postgres');
      }
      t.notOk(JSON.stringify(sql.map((s) => s.attributes)).includes('croissant-42'), 'bound parameter values are not recorded');
    });

    t.test('RabbitMQ publish and consume (aio-pika) are in the request trace', { skip: servers.rabbitmqSkip !== undefined ? `RabbitMQ did not start here: ${servers.rabbitmqSkip}` : false }, async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const amqp = st.spans.filter((s) => s.traceId === server.traceId && attr(s, 'messaging.system') === 'rabbitmq');
      const publish = amqp.find((s) => s.kind === PRODUCER);
      const consume = amqp.find((s) => s.kind === CONSUMER);
      if (publish === undefined || consume === undefined) return void t.fail(`producer and consumer spans expected: ${amqp.map((s) => `${s.name}(${s.kind})`).join(', ')}`);
      t.equal(publish.parentSpanId, server.spanId, 'publish: child of the server span');
      t.equal(consume.parentSpanId, publish.spanId, 'consume: continues from the message headers, child of the publish span');
      const consumedLog = st.logs.find((l) => l.body === 'order 42 consumed');
      t.equal(consumedLog?.spanId, consume.spanId, 'a log line written in the consumer callback carries the consume span');
    });

    t.test('stdlib logging records are OTLP logs with the trace and span of the request', async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const served = st.logs.find((l) => l.body === 'order 42 served');
      const requested = st.logs.find((l) => l.body === 'order 42 requested');
      if (served === undefined || requested === undefined) return void t.fail(`logs: ${st.logs.map((l) => String(l.body)).join(' | ')}`);
      for (const l of [served, requested]) {
        t.equal(l.traceId, server.traceId, `"${String(l.body)}": trace_id of the request`);
        t.equal(l.spanId, server.spanId, `"${String(l.body)}": span_id of the route's server span`);
        t.equal(l.resource['service.name'], 'orders');
      }
      t.match(served.severityText, /^WARN(ING)?$/);
      t.equal(requested.severityText, 'INFO');
      t.equal(served.scope, 'shop.orders', 'the logger name is the scope');
      t.equal(st.logs.filter((l) => l.body === 'order 42 served').length, 1, 'each record exported once');
      t.match(shop.stderr(), /WARNING shop\.orders order 42 served/, 'what the app prints is unchanged (its own basicConfig handler)');
    });

    t.test('HTTP server duration metric and the process/system metrics', async (t) => {
      const duration = httpServerDuration(st, 'orders');
      t.ok(duration.length > 0, 'http.server.(request.)duration exported');
      t.ok(routePoint(st), `a histogram point for the route template, not the raw path (${JSON.stringify(duration.map((m) => [m.name, m.points]))})`);
      t.equal(duration[0]?.type, 'histogram');
      const names = metricNames(st, 'orders');
      for (const n of SYSTEM_METRICS) t.ok(names.has(n), `${n} exported`);
      const mem = st.metrics.find((m) => m.name === 'process.memory.usage' && m.resource['service.name'] === 'orders');
      t.ok((mem?.points[0]?.value ?? 0) > 10 * 1024 * 1024, 'process.memory.usage is a plausible RSS (> 10 MB)');
    });

    t.test('resource: service.name from OTEL_SERVICE_NAME, k8s.* from OTEL_RESOURCE_ATTRIBUTES, process and SDK', async (t) => {
      const sources = [server, st.logs.find(ofService('orders')), st.metrics.find(ofService('orders'))].filter((x) => x !== undefined);
      t.equal(sources.length, 3, 'spans, logs and metrics arrived');
      for (const r of sources.map((x) => x.resource)) {
        t.equal(r['service.name'], 'orders');
        t.equal(r['service.namespace'], 'bakery-ia');
        t.equal(r['k8s.namespace.name'], 'bakery-ia');
        t.equal(r['k8s.pod.name'], 'orders-6f9c7d-h2k4p');
        t.equal(r['k8s.container.name'], 'orders');
        t.equal(r['k8s.deployment.name'], 'orders');
        t.equal(r['telemetry.sdk.language'], 'python');
        t.equal(r['process.pid'], shop.proc.pid, 'process.pid is the uvicorn process');
        t.match(String(r['process.runtime.version']), new RegExp(`^${minor.replace('.', '\\.')}\\.`), `process.runtime.version is ${minor}.x`);
      }
    });

    t.test('the exports were OTLP protobuf, and we printed nothing', async (t) => {
      t.same(receiver.errors, [], 'every export decoded as OTLP protobuf');
      t.ok(receiver.requests.length > 0 && receiver.requests.every((r) => r.contentType === 'application/x-protobuf'), 'http/protobuf as the webhook sets');
      t.same(shop.injectorLines(), [], 'no otel-injector line on stderr');
      t.same(inventory.injectorLines(), []);
      t.equal((await get(`${shop.url}/health`)).status, 200);
    });
  });
}
