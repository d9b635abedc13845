// The SigNoz dashboard and alert rules of docs/signoz/, and the metric mapping table of docs/migrating.md,
// checked against what a real app in the first user's shape exports: FastAPI on uvicorn calling Redis and
// PostgreSQL (SQLAlchemy + psycopg 3), instrumented only through PYTHONPATH and the webhook's OTEL_*
// variables plus OTEL_SEMCONV_STABILITY_OPT_IN=http (what docs/migrating.md tells the chart to add), serving
// 200s, a 404, a 503 and an unhandled exception (500), judged by the real OTLP/HTTP receiver. Every metric
// name, metric type, attribute key and filter a query uses must find exported data. One app, one CPython.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { get, pythonEnv, startPyApp } from './support/app.js';
import { SERVER, startReceiver, type ReceiverState } from './support/otlp.js';
import { ROOT } from './support/paths.js';
import { ensurePayload, ensureVenv, shopRequirements, testedPythons } from './support/python.js';
import { startPostgres, startRedis } from './support/servers.js';
import { alertQueries, dashboardQueries, problems, structureProblems, variableProblems, variableRefs, type Query } from './support/signoz.js';

const SIGNOZ = join(ROOT, 'docs', 'signoz');
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(SIGNOZ, file), 'utf8'));
const dashboard = readJson('python-services-dashboard.json') as Record<string, unknown>;
const rules = readJson('python-services-alerts.json') as unknown[];
const queries: Query[] = [
  ...dashboardQueries('python-services-dashboard.json', dashboard),
  ...alertQueries('python-services-alerts.json', rules),
];
/** The dashboard's variables as the user would pick them for the test app. */
const VARS = { namespace: 'bakery-ia', service_name: 'orders' };

/** docs/migrating.md's metric table: per row, the names (and `key=value` attributes) in "what the injector exports". */
function mappingRows(): { row: string; metrics: string[]; attrs: [string, string][] }[] {
  const doc = readFileSync(join(ROOT, 'docs', 'migrating.md'), 'utf8');
  const table = /<!-- metric-mapping -->([\s\S]*?)<!-- \/metric-mapping -->/.exec(doc)?.[1] ?? '';
  return table.split('\n').filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l)).slice(1).map((row) => {
    const ours = row.split('|')[2] ?? '';
    const tokens = [...ours.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    return {
      row: row.split('|')[1]?.trim() ?? row,
      metrics: tokens.filter((x) => /^(http|process|system|cpython)\.[\w.]+$/.test(x)),
      attrs: tokens.filter((x) => /^[\w.]+=[\w.]+$/.test(x)).map((x) => x.split('=') as [string, string]),
    };
  });
}

await ensurePayload();
const minor = testedPythons().at(-1) ?? '3.13';
const [redis, postgres, venv] = await Promise.all([startRedis(), startPostgres(), ensureVenv('shop', minor, shopRequirements(minor))]);
t.teardown(async () => { await redis.stop(); await postgres.stop(); });

t.test(`CPython ${minor}: the SigNoz dashboard, alert rules and metric mapping name only what the app exports`, async (t) => {
  t.ok(queries.length >= 15, `queries found in docs/signoz (${queries.length})`);
  t.ok(mappingRows().length >= 12, 'rows found in the metric mapping table of docs/migrating.md');

  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const app = await startPyApp(venv, pythonEnv(receiver.url, 'orders', {
    REDIS_URL: redis.url, DATABASE_URL: postgres.url, OTEL_SEMCONV_STABILITY_OPT_IN: 'http',
  }), { module: 'dashboards:app' });
  t.teardown(() => app.stop());

  // The unhandled exception last: uvicorn closes that connection, which the keep-alive agent would reuse.
  const statuses: number[] = [];
  for (const path of ['/orders/1', '/orders/2', '/fail/503', '/fail/404', '/crash']) statuses.push((await get(`${app.url}${path}`)).status);
  t.same(statuses, [200, 200, 503, 404, 500], 'the app answered 200, 200, 503, 404 and 500');

  const wanted = new Set(queries.filter((q) => q.dataSource === 'metrics').map((q) => q.metric));
  // Everything the requests made, up to the last one's point, records and span (the first export may precede it).
  const done = (s: ReceiverState): boolean => [...wanted].every((n) => s.metrics.some((m) => m.name === n)) &&
    s.metrics.some((m) => m.name === 'http.server.request.duration' && m.points.some((p) => p.attributes['http.response.status_code'] === 500)) &&
    s.logs.some((l) => l.body === 'Exception in ASGI application\n') && s.logs.some((l) => String(l.body).includes('"GET /crash HTTP/1.1" 500')) &&
    s.spans.some((x) => x.attributes['http.route'] === '/crash');
  await receiver.waitFor(done, 20000).catch(() => undefined);
  const st: ReceiverState = receiver;

  t.test('every dashboard and alert query finds exported data: metric, type, unit, attribute keys, filters', async (t) => {
    t.same(problems(queries, st, VARS), [], `${queries.length} queries checked`);
  });

  t.test('formulas and alert conditions name queries that exist; every panel has its place in the layout', async (t) => {
    t.same(structureProblems(dashboard, rules), []);
    const broken = { ...dashboard, widgets: [...(dashboard.widgets as unknown[]), { id: 'orphan', query: { builder: { queryData: [{ queryName: 'A' }], queryFormulas: [{ expression: 'A / C' }] } } }] };
    t.same(structureProblems(broken, [{ alert: 'x', condition: { selectedQueryName: 'F9', compositeQuery: { builderQueries: {} } } }]).length, 3, 'an unknown query in a formula, a panel without a layout entry and an unknown selected query are reported');
  });

  t.test('the dashboard variables read metrics and labels that exist', async (t) => {
    const refs = variableRefs(dashboard);
    t.equal(refs.length, 2, 'namespace and service_name');
    t.same(variableProblems(refs, st), []);
  });

  t.test('the 5xx error-rate query counts the 503 and the 500, not the 404', async (t) => {
    const points = st.metrics.filter((m) => m.name === 'http.server.request.duration').flatMap((m) => m.points);
    const byStatus = (code: number): number => Math.max(0, ...points.filter((p) => p.attributes['http.response.status_code'] === code).map((p) => p.count ?? 0));
    t.equal(byStatus(503), 1);
    t.equal(byStatus(500), 1);
    t.equal(byStatus(404), 1, 'the 404 is a point of its own, below the >= 500 filter');
  });

  t.test('logs: service.name on the resource, trace_id on the records written inside a request', async (t) => {
    const failed = st.logs.find((l) => l.body === 'order failed with status 503');
    t.equal(failed?.severityText, 'ERROR');
    t.equal(failed?.resource['service.name'], 'orders');
    t.match(failed?.traceId ?? '', /^[0-9a-f]{32}$/, 'the record carries the request\'s trace_id');
    const access = st.logs.find((l) => l.scope === 'uvicorn.access' && String(l.body).includes('"GET /crash HTTP/1.1" 500'));
    t.match(access?.traceId ?? '', /^[0-9a-f]{32}$/, 'uvicorn\'s access line of the failed request carries its trace_id');
    const span = st.spans.find((x) => x.kind === SERVER && x.attributes['http.route'] === '/crash');
    t.equal(span?.traceId, access?.traceId, 'the access line\'s trace is the request\'s server span');
    t.equal(span?.status.code, 2, 'whose status is ERROR');
    t.ok(span?.events.some((e) => e.name === 'exception' && e.attributes['exception.type'] === 'RuntimeError'), 'with the exception recorded');
    const crash = st.logs.find((l) => l.body === 'Exception in ASGI application\n');
    t.equal(crash?.severityText, 'ERROR', 'uvicorn\'s record of the unhandled exception is exported');
    t.match(crash?.traceId ?? '', /^[0-9a-f]{32}$/, 'and carries the request\'s trace_id', { todo: 'uvicorn writes it after the server span ended (docs/migrating.md, Logs)' });
  });

  t.test('every name in the metric mapping table of docs/migrating.md is exported, with its attributes', async (t) => {
    for (const { row, metrics, attrs } of mappingRows()) {
      for (const name of metrics) t.ok(st.metrics.some((m) => m.name === name), `${row}: ${name} exported`);
      for (const [key, value] of attrs) {
        const on = st.metrics.filter((m) => metrics.includes(m.name)).flatMap((m) => m.points).some((p) => String(p.attributes[key]) === value);
        t.ok(on, `${row}: a point of ${metrics.join('/')} with ${key}=${value}`);
      }
    }
  });

  t.test('the check fails on what is not exported (their old names, a wrong key, type or unit)', async (t) => {
    const first = queries.find((q) => q.metric === 'http.server.request.duration' && q.dataSource === 'metrics');
    if (first === undefined) return void t.fail('no http.server.request.duration query');
    const broken: [string, Query][] = [
      ['their old counter name', { ...first, metric: 'http_requests_total' }],
      ['their old thread-count name', { ...first, metric: 'process.threads.count', metricType: 'Sum' }],
      ['the old-conventions histogram (not exported with the opt-in)', { ...first, metric: 'http.server.duration' }],
      ['a point attribute that does not exist', { ...first, groupBy: [{ key: 'status_code', type: 'tag' }] }],
      ['a resource attribute asked for as a point attribute', { ...first, groupBy: [{ key: 'service.name', type: 'tag' }] }],
      ['a filter nothing passes', { ...first, filters: [{ key: { key: 'http.response.status_code', type: 'tag' }, op: '>=', value: 600 }] }],
      ['a wrong metric type', { ...first, metricType: 'Gauge' }],
      ['a wrong unit', { ...first, unit: 'bytes' }],
    ];
    for (const [what, q] of broken) t.not(problems([q], st, VARS).length, 0, `${what}: reported`);
  });

  t.test('we printed nothing', async (t) => {
    t.same(receiver.errors, [], 'every export decoded as OTLP protobuf');
    t.same(app.stderr().split('\n').filter((l) => l.startsWith('otel-injector:')), [], 'no otel-injector: line on stderr');
  });
});
