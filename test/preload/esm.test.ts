// An ECMAScript-module app, with the same single --require flag. The outgoing call goes through a
// *named* import of node:http (`import { get } from 'node:http'`), which only the ESM loader hook can
// instrument; the control run without the hooks shows the test fails when they do not hook.
import t from 'tap';
import { startReceiver } from './receiver.mjs';
import { CLIENT, SERVER, ensureBuilt, get, startApp, webhookEnv } from './helpers.js';

ensureBuilt();

async function run(extra: Record<string, string>): Promise<{ spans: { name: string; kind: number; traceId: string; scope: string; attributes: Record<string, unknown> }[]; stderr: string }> {
  const receiver = await startReceiver();
  const backend = await startApp('express-app.cjs', webhookEnv(receiver.url, 'esm-backend', { OTEL_METRICS_EXPORTER: 'none' }));
  const app = await startApp('esm-app.mjs', webhookEnv(receiver.url, 'esm-app', { BACKEND_URL: backend.url, OTEL_METRICS_EXPORTER: 'none', ...extra }));
  try {
    const res = await get(`${app.url}/hello/ada`);
    if (res.status !== 200) throw new Error(`esm app answered ${res.status} ${res.body}`);
    await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'esm-backend'));
    // the esm app's spans end before the backend's are exported; give the batch one more cycle
    await new Promise((r) => setTimeout(r, 700));
    return { spans: receiver.spans.filter((x) => x.resource['service.name'] === 'esm-app'), stderr: app.stderr() };
  } finally {
    await app.stop();
    await backend.stop();
    await receiver.close();
  }
}

t.test('ESM app: named node:http import and express import are hooked', async (t) => {
  const { spans, stderr } = await run({});
  const server = spans.find((s) => s.kind === SERVER);
  const client = spans.find((s) => s.kind === CLIENT);
  t.ok(server, 'server span');
  t.ok(client, 'client span from the named `get` import (needs the ESM hook)');
  t.equal(client?.traceId, server?.traceId, 'same trace');
  t.equal(server?.attributes['http.route'], '/hello/:name', 'route from express imported as ESM');
  t.ok(spans.some((s) => s.scope === '@opentelemetry/instrumentation-express'), 'express instrumented through import');
  t.equal(stderr, '', 'nothing on stderr');
});

t.test('control: with the ESM hooks off, the named import is not instrumented', async (t) => {
  const { spans } = await run({ OTEL_INJECTOR_ESM_HOOKS: 'false' });
  t.ok(spans.some((s) => s.kind === SERVER), 'server span still there (http.Server prototype patched from CommonJS)');
  t.notOk(spans.some((s) => s.kind === CLIENT), 'no client span: what the ESM test above detects');
  t.notOk(spans.some((s) => s.scope === '@opentelemetry/instrumentation-express'), 'express not instrumented');
});
