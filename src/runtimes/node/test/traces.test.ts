// A CommonJS express app calling a second instrumented app over HTTP: one trace across both
// processes, server and client spans, the route, service.name and the k8s.* attributes.
import t from 'tap';
import { startReceiver } from '../../../../test/support/receiver.mjs';
import { CLIENT, SERVER, ensureBuilt, get, startApp, webhookEnv } from './helpers.js';

ensureBuilt();

t.test('CJS express → express over HTTP is one trace with server and client spans', async (t) => {
  const receiver = await startReceiver();
  const backend = await startApp('express-app.cjs', webhookEnv(receiver.url, 'users-backend', { OTEL_METRICS_EXPORTER: 'none' }));
  const frontend = await startApp('express-app.cjs', webhookEnv(receiver.url, 'users-frontend', { BACKEND_URL: backend.url, OTEL_METRICS_EXPORTER: 'none' }));
  t.teardown(async () => { await frontend.stop(); await backend.stop(); await receiver.close(); });

  const res = await get(`${frontend.url}/api/users/42`);
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body), { via: 'frontend', user: { id: '42', name: 'user-42' } }, 'the app answers as it would without the preload');

  const s = await receiver.waitFor((st) =>
    st.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'users-backend') &&
    st.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'users-frontend') &&
    st.spans.some((x) => x.kind === CLIENT && x.resource['service.name'] === 'users-frontend'));

  const feServer = s.spans.find((x) => x.kind === SERVER && x.resource['service.name'] === 'users-frontend');
  const feClient = s.spans.find((x) => x.kind === CLIENT && x.resource['service.name'] === 'users-frontend');
  const beServer = s.spans.find((x) => x.kind === SERVER && x.resource['service.name'] === 'users-backend');
  if (!feServer || !feClient || !beServer) throw new Error('spans missing');

  t.match(feServer.traceId, /^[0-9a-f]{32}$/);
  t.equal(feClient.traceId, feServer.traceId, 'client span in the frontend trace');
  t.equal(beServer.traceId, feServer.traceId, 'the backend continues the same trace (W3C traceparent)');
  t.equal(beServer.parentSpanId, feClient.spanId, 'backend server span is a child of the frontend client span');
  t.equal(feServer.parentSpanId, '', 'frontend server span is the root');
  t.equal(feServer.attributes['http.route'], '/api/users/:id', 'frontend route');
  t.equal(beServer.attributes['http.route'], '/users/:id', 'backend route');
  t.equal(feServer.name, 'GET /api/users/:id');
  t.match(String(feClient.attributes['url.full'] ?? feClient.attributes['http.url']), /\/users\/42$/);

  for (const [svc, span] of [['users-frontend', feServer], ['users-backend', beServer]] as const) {
    t.equal(span.resource['service.name'], svc);
    t.equal(span.resource['k8s.namespace.name'], 'shop');
    t.equal(span.resource['k8s.pod.name'], `${svc}-7d4b9c-x2x9q`);
    t.equal(span.resource['k8s.container.name'], 'app');
    t.equal(span.resource['k8s.deployment.name'], svc);
    t.equal(span.resource['service.namespace'], 'shop');
    t.equal(span.resource['process.runtime.name'], 'nodejs', 'process detector ran');
    t.type(span.resource['host.name'], 'string', 'host detector ran');
    t.type(span.resource['service.instance.id'], 'string', 'service instance detector ran');
  }
  t.same(receiver.errors, [], 'every export decoded as OTLP protobuf');
  t.ok(receiver.requests.every((r) => r.contentType === 'application/x-protobuf'), 'http/protobuf as the webhook sets');
  t.equal(frontend.stderr(), '', 'nothing on stderr');
  // express: one span per request handler, no span per middleware layer (cost lever)
  const feSpans = s.spans.filter((x) => x.traceId === feServer.traceId && x.resource['service.name'] === 'users-frontend');
  t.notOk(feSpans.some((x) => x.name.startsWith('middleware')), 'no middleware-layer spans');
});

t.test('http/json protocol works too (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)', async (t) => {
  const receiver = await startReceiver();
  const app = await startApp('express-app.cjs', webhookEnv(receiver.url, 'json-app', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none' }));
  t.teardown(async () => { await app.stop(); await receiver.close(); });
  t.equal((await get(`${app.url}/users/1`)).status, 200);
  const s = await receiver.waitFor((st) => st.spans.some((x) => x.kind === SERVER));
  t.equal(s.spans.find((x) => x.kind === SERVER)?.attributes['http.route'], '/users/:id');
  t.ok(receiver.requests.every((r) => r.contentType.includes('json')), 'JSON bodies');
  t.same(receiver.errors, []);
});

t.test("the app's own @opentelemetry/api copy attaches to the preload's provider", async (t) => {
  const receiver = await startReceiver();
  const app = await startApp('manual-span.cjs', webhookEnv(receiver.url, 'manual', { OTEL_METRICS_EXPORTER: 'none' }));
  t.teardown(async () => { await app.stop(); await receiver.close(); });
  t.equal((await get(`${app.url}/work`)).status, 200);
  const s = await receiver.waitFor((st) => st.spans.some((x) => x.name === 'manual-work') && st.spans.some((x) => x.kind === SERVER));
  const manual = s.spans.find((x) => x.name === 'manual-work');
  const server = s.spans.find((x) => x.kind === SERVER);
  t.equal(manual?.scope, 'manual-app');
  t.equal(manual?.traceId, server?.traceId, 'same trace as the server span');
  t.equal(manual?.parentSpanId, server?.spanId, 'child of the server span');
  t.equal(manual?.attributes['app.item'], 'x');
});
