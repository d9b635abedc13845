// The libraries the FastAPI suite (signals.test.ts) does not cover, each proven with the real library against
// a real server: a Flask service on Werkzeug's WSGI server calling a single-file Django service with requests,
// urllib3 and aiohttp, PostgreSQL with psycopg2 (psycopg2-binary) and asyncpg, RabbitMQ with pika, all inside
// one request. Both apps run from their own venv with no OpenTelemetry package, instrumented only through
// PYTHONPATH=dist/payload/python and the OTEL_* variables the webhook sets; judged by a real OTLP/HTTP
// protobuf receiver. On the lowest and the highest supported CPython.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { get, getJson, pythonEnv, type Env } from './support/app.js';
import { CLIENT, CONSUMER, PRODUCER, SERVER, attr, descendsFrom, startReceiver, type ReceiverState, type SpanRecord } from './support/otlp.js';
import { APPS } from './support/paths.js';
import { freePort, run, sleep, tail, type Proc } from './support/proc.js';
import { ensurePayload, ensureVenv, requirements, testedPythons, type Venv } from './support/python.js';
import { startPostgres, startRabbitMQ, type Server } from './support/servers.js';

const APP_DIR = join(APPS, 'libs');

await ensurePayload();
const pythons = testedPythons();
const started: Server[] = [];
t.teardown(async () => { await Promise.all(started.map((s) => s.stop())); });
const keep = (p: Promise<Server>): Promise<Server> => p.then((s) => { started.push(s); return s; });
const [postgres, rabbit, ...venvs] = await Promise.all([
  keep(startPostgres()),
  keep(startRabbitMQ()).then((s) => ({ url: s.url, skip: undefined }), (err: unknown) => ({ url: undefined, skip: String(err instanceof Error ? err.message : err) })),
  ...pythons.map((minor) => ensureVenv('libs', minor, requirements(minor === '3.9' ? 'libs-py39.txt' : 'libs-py313.txt'))),
]);

interface App { url: string; proc: Proc }

/** `<venv>/bin/python apps/libs/<file>` (Werkzeug's server) on a free loopback port, ready once /health answers 200. */
async function startApp(t: Test, venv: Venv, file: string, env: Env): Promise<App> {
  const port = await freePort();
  const proc = run(venv.python, [join(APP_DIR, file)], { env: { ...env, PORT: String(port) }, cwd: APP_DIR });
  t.teardown(() => proc.stop());
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    if (!proc.running()) throw new Error(`${file} exited before serving:\n${tail(proc.stderr())}`);
    const r = await get(`${url}/health`, {}, 2000).catch(() => undefined);
    if (r?.status === 200) return { url, proc };
    if (Date.now() > deadline) throw new Error(`${file} not serving /health within 60 s:\n${tail(proc.stderr())}`);
    await sleep(100);
  }
}

/** The spans of one instrumentation (its tracer is named after the package or one of its modules). */
const scoped = (st: ReceiverState, name: string): SpanRecord[] => st.spans.filter((s) => s.scope === `opentelemetry.instrumentation.${name}` || s.scope.startsWith(`opentelemetry.instrumentation.${name}.`));
const statement = (s: SpanRecord): string => String(attr(s, 'db.statement', 'db.query.text'));
const url = (s: SpanRecord): string => String(attr(s, 'url.full', 'http.url'));
const list = (spans: readonly SpanRecord[]): string => spans.map((s) => `${s.name}(${s.kind}, ${s.scope})`).join(', ');

const FLASK_ROUTE = '/work/<int:order_id>';
const flaskServer = (st: ReceiverState): SpanRecord | undefined =>
  st.spans.find((s) => s.kind === SERVER && s.resource['service.name'] === 'flask-orders' && s.attributes['http.route'] === FLASK_ROUTE);
/** The Django server span answering /echo/<word>. */
const djangoServer = (st: ReceiverState, word: string): SpanRecord | undefined =>
  st.spans.find((s) => s.kind === SERVER && s.resource['service.name'] === 'django-echo' && String(attr(s, 'url.path', 'http.target')).endsWith(`/echo/${word}`));

for (const [i, minor] of pythons.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  t.test(`CPython ${minor}: Flask, Django, requests, urllib3, aiohttp, psycopg2, asyncpg, pika`, async (t) => {
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const django = await startApp(t, venv, 'django_app.py', pythonEnv(receiver.url, 'django-echo'));
    const flask = await startApp(t, venv, 'flask_app.py', pythonEnv(receiver.url, 'flask-orders', {
      DATABASE_URL: postgres.url, AMQP_URL: rabbit.url, DOWNSTREAM_URL: django.url,
    }));

    const res = await getJson(`${flask.url}/work/42`);
    t.equal(res.status, 200, 'the Flask service answers');
    t.same(res.json, {
      requests: 'requests-42', urllib3: 'urllib3-42', aiohttp: 'aiohttp-42', psycopg2: 'secret-item-42', asyncpg: 1042,
      ...(rabbit.url !== undefined ? { pika: ['get-42', 'consume-42'] } : {}),
    }, 'with what Django, PostgreSQL and RabbitMQ gave it, as without the injector');

    const st = await receiver.waitFor((s) => {
      const server = flaskServer(s);
      return server !== undefined &&
        ['requests-42', 'urllib3-42', 'aiohttp-42'].every((w) => djangoServer(s, w) !== undefined) &&
        scoped(s, 'psycopg2').length >= 3 && scoped(s, 'asyncpg').length >= 1 &&
        (rabbit.url === undefined || (scoped(s, 'pika').filter((x) => x.kind === PRODUCER).length >= 2 && scoped(s, 'pika').some((x) => x.kind === CONSUMER)));
    }, 30000).catch(() => receiver as ReceiverState);
    const server = flaskServer(st);

    t.test('Flask: one WSGI server span for the route template', async (t) => {
      if (server === undefined) return void t.fail(`no SERVER span with http.route ${FLASK_ROUTE}; spans: ${list(st.spans)}`);
      t.equal(server.scope, 'opentelemetry.instrumentation.flask');
      t.equal(server.name, `GET ${FLASK_ROUTE}`);
      t.equal(server.parentSpanId, '', 'a root span (no traceparent came in)');
      t.equal(attr(server, 'http.request.method', 'http.method'), 'GET');
      t.equal(Number(attr(server, 'http.response.status_code', 'http.status_code')), 200);
      t.match(String(attr(server, 'url.path', 'http.target')), /^\/work\/42/);
      t.equal(st.spans.filter((s) => s.kind === SERVER && s.resource['service.name'] === 'flask-orders' && s.attributes['http.route'] === FLASK_ROUTE).length, 1, 'exactly one server span for the one request');
    });

    for (const [lib, scope] of [['requests', 'requests'], ['urllib3', 'urllib3'], ['aiohttp', 'aiohttp_client']] as const) {
      t.test(`${lib}: a client span under the Flask span, and Django continues the trace`, async (t) => {
        if (server === undefined) return void t.fail('no server span');
        const clients = scoped(st, scope).filter((s) => s.kind === CLIENT && url(s).endsWith(`/echo/${lib}-42`));
        t.equal(clients.length, 1, `one ${lib} client span for the one call (${list(scoped(st, scope))})`);
        const client = clients[0];
        const downstream = djangoServer(st, `${lib}-42`);
        if (client === undefined || downstream === undefined) return void t.fail(`client ${String(client)} downstream ${String(downstream)}; spans: ${list(st.spans)}`);
        t.equal(client.name, 'GET');
        t.equal(attr(client, 'http.request.method', 'http.method'), 'GET');
        t.equal(Number(attr(client, 'http.response.status_code', 'http.status_code')), 200);
        t.equal(client.traceId, server.traceId, 'in the request trace');
        t.equal(client.parentSpanId, server.spanId, 'child of the Flask server span');
        t.equal(downstream.scope, 'opentelemetry.instrumentation.django', 'Django: the server span is the django instrumentation\'s');
        t.equal(downstream.traceId, server.traceId, 'Django continues the same trace (W3C traceparent)');
        t.equal(downstream.parentSpanId, client.spanId, 'Django\'s server span is a child of the client span');
        t.equal(downstream.attributes['http.route'], 'echo/<str:word>', 'Django: http.route is the URL pattern');
        t.equal(downstream.name, 'GET echo/<str:word>');
      });
    }

    t.test('psycopg2 (psycopg2-binary): the statements are CLIENT spans under the Flask span', async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const sql = scoped(st, 'psycopg2');
      const insert = sql.find((s) => /^INSERT INTO flask_orders/.test(statement(s)));
      const select = sql.find((s) => /^SELECT item FROM flask_orders WHERE id = %s/.test(statement(s)));
      t.ok(insert, `the INSERT is a span (${list(sql)})`);
      t.ok(select, 'the SELECT is a span');
      for (const s of [insert, select]) {
        if (s === undefined) continue;
        t.equal(s.kind, CLIENT);
        t.equal(attr(s, 'db.system', 'db.system.name'), 'postgresql');
        t.equal(attr(s, 'db.name', 'db.namespace'), 'postgres');
        t.equal(s.traceId, server.traceId);
        t.equal(s.parentSpanId, server.spanId, `${s.name}: child of the Flask server span`);
      }
      t.notOk(JSON.stringify(sql.map((s) => s.attributes)).includes('secret-item'), 'bound parameter values are not recorded');
    });

    t.test('asyncpg: the query is a CLIENT span under the Flask span (across asyncio.run)', async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const q = scoped(st, 'asyncpg').find((s) => statement(s) === 'SELECT $1::int + 1000');
      if (q === undefined) return void t.fail(`no asyncpg span for the query: ${list(scoped(st, 'asyncpg'))}`);
      t.equal(q.kind, CLIENT);
      t.equal(attr(q, 'db.system', 'db.system.name'), 'postgresql');
      t.equal(attr(q, 'db.name', 'db.namespace'), 'postgres');
      t.equal(q.traceId, server.traceId);
      t.equal(q.parentSpanId, server.spanId, 'child of the Flask server span');
    });

    t.test('pika: basic_publish is a PRODUCER span under the Flask span, the consume() generator a CONSUMER span continuing it', { skip: rabbit.skip !== undefined ? `RabbitMQ did not start here: ${rabbit.skip}` : false }, async (t) => {
      if (server === undefined) return void t.fail('no server span');
      const amqp = scoped(st, 'pika');
      const producers = amqp.filter((s) => s.kind === PRODUCER);
      const publishes = producers.filter((s) => s.parentSpanId === server.spanId);
      const consumes = amqp.filter((s) => s.kind === CONSUMER);
      t.equal(publishes.length, 2, `each of the two basic_publish calls: a PRODUCER span, child of the Flask server span (${list(amqp)})`);
      // basic_get is not instrumented by opentelemetry-instrumentation-pika (only basic_publish, basic_consume
      // callbacks and the consume() generator): the message it fetched has no span.
      t.equal(consumes.length, 1, 'one CONSUMER span: the message taken through channel.consume()');
      const queue = /^flask-orders-[0-9a-f]{8}$/;
      for (const s of [...producers, ...consumes]) {
        t.equal(attr(s, 'messaging.system'), 'rabbitmq', `${s.name}: messaging.system`);
        t.equal(s.traceId, server.traceId, `${s.name}: in the request trace`);
        t.match(s.name, /^flask-orders-[0-9a-f]{8} (send|receive)$/, `${s.name}: named after the queue`);
      }
      const destination = (s: SpanRecord): string => String(attr(s, 'messaging.destination', 'messaging.destination.name'));
      if (minor === '3.9') {
        // 0.62b1 (the last release for 3.9) names the default exchange's destination "(temporary)" and the
        // consumer's after its consumer tag.
        for (const s of producers) t.equal(destination(s), '(temporary)', `${s.name}: 0.62b1's destination for the default exchange`);
      } else {
        for (const s of [...producers, ...consumes]) t.match(destination(s), queue, `${s.name}: the queue is the destination`);
      }
      const consume = consumes[0];
      if (consume === undefined) return;
      t.ok(publishes.some((p) => descendsFrom(st.spans, consume, p)), 'the consume span descends from a publish span (context from the message headers)');
    });

    t.test('pika: one PRODUCER span per basic_publish', { skip: rabbit.skip !== undefined ? 'no RabbitMQ' : false, todo: 'opentelemetry-instrumentation-pika wraps both BlockingConnection.channel and Connection.channel; a BlockingChannel publishes through its own instrumented impl Channel, so each publish is two nested "send" spans' }, async (t) => {
      t.equal(scoped(st, 'pika').filter((s) => s.kind === PRODUCER).length, 2, 'two publishes, two PRODUCER spans');
    });

    t.test('the exports were OTLP protobuf, and we printed nothing', async (t) => {
      t.same(receiver.errors, [], 'every export decoded as OTLP protobuf');
      t.ok(receiver.requests.length > 0 && receiver.requests.every((r) => r.contentType === 'application/x-protobuf'));
      for (const app of [flask, django]) t.same(app.proc.stderr().split('\n').filter((l) => l.includes('otel-injector')), [], 'no otel-injector line on stderr');
    });
  });
}
