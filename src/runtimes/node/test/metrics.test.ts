// Metrics: HTTP server and client duration histograms, process and system metrics (CPU, memory,
// network, disk) and Node.js runtime metrics, exported over OTLP on the metric interval.
import t from 'tap';
import { startReceiver } from '../../../../test/support/receiver.mjs';
import { ensureBuilt, get, startApp, webhookEnv } from './helpers.js';

ensureBuilt();

const EXPECTED = [
  'http.server.request.duration', 'http.client.request.duration',
  'process.cpu.utilization', 'process.memory.usage', 'system.cpu.utilization', 'system.memory.usage',
  'system.network.io', 'system.disk.io', 'nodejs.eventloop.delay.p99', 'v8js.memory.heap.used',
];

t.test('metrics: HTTP histograms, process, system and runtime metrics', async (t) => {
  const receiver = await startReceiver();
  const backend = await startApp('express-app.cjs', webhookEnv(receiver.url, 'm-backend', { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }));
  const app = await startApp('express-app.cjs', webhookEnv(receiver.url, 'm-front', { BACKEND_URL: backend.url }));
  t.teardown(async () => { await app.stop(); await backend.stop(); await receiver.close(); });
  for (let i = 0; i < 5; i++) t.equal((await get(`${app.url}/api/users/${i}`)).status, 200);

  const front = (name: string) => receiver.metrics.filter((m) => m.name === name && m.resource['service.name'] === 'm-front');
  await receiver.waitFor(() => EXPECTED.every((n) => front(n).length > 0) &&
    front('http.server.request.duration').some((m) => m.points.some((p) => (p.count ?? 0) >= 5)), 20000);
  for (const name of EXPECTED) t.ok(front(name).length > 0, `${name} exported`);

  const server = front('http.server.request.duration').at(-1);
  t.equal(server?.type, 'histogram', 'server duration is a histogram');
  t.equal(server?.unit, 's');
  const point = server?.points.find((p) => p.attributes['http.route'] === '/api/users/:id');
  t.ok(point, 'server histogram point carries the route');
  t.equal(point?.count, 5, 'one observation per request');
  t.equal(point?.attributes['http.request.method'], 'GET');
  t.equal(point?.attributes['http.response.status_code'], 200);
  const client = front('http.client.request.duration').at(-1);
  t.equal(client?.type, 'histogram', 'client duration is a histogram');
  t.ok((client?.points.reduce((s, p) => s + (p.count ?? 0), 0) ?? 0) >= 5, 'client calls counted');

  const mem = front('process.memory.usage').at(-1);
  t.ok((mem?.points[0]?.value ?? 0) > 10 * 2 ** 20, 'process.memory.usage is a plausible RSS');
  const sysMem = front('system.memory.usage').at(-1);
  t.ok(sysMem?.points.some((p) => p.attributes['system.memory.state'] === 'used'), 'system memory by state');
  t.equal(front('system.memory.usage').at(-1)?.resource['k8s.pod.name'], 'm-front-7d4b9c-x2x9q', 'resource on metrics');
  t.same(receiver.errors, []);
  t.equal(app.stderr(), '', 'nothing on stderr');
});
