// An ECMAScript-module app, with the same single --require flag. The outgoing call goes through a
// *named* import of node:http (`import { get } from 'node:http'`), which only the ESM loader hook can
// instrument; the control run without the hooks shows the test fails when they do not hook.
import t from 'tap';
import { startReceiver } from '../../../../test/support/receiver.mjs';
import { APP_NODE_MAJOR, APP_NODE_VERSION, CLIENT, SERVER, ensureBuilt, get, startApp, webhookEnv } from './helpers.js';

ensureBuilt();

async function run(extra: Record<string, string>): Promise<{ spans: { name: string; kind: number; traceId: string; scope: string; attributes: Record<string, unknown> }[]; stderr: string; stdout: string; backendStdout: string }> {
  const receiver = await startReceiver();
  const backend = await startApp('express-app.cjs', webhookEnv(receiver.url, 'esm-backend', { OTEL_METRICS_EXPORTER: 'none', OTEL_LOG_LEVEL: extra.OTEL_LOG_LEVEL }));
  const app = await startApp('esm-app.mjs', webhookEnv(receiver.url, 'esm-app', { BACKEND_URL: backend.url, OTEL_METRICS_EXPORTER: 'none', ...extra }));
  try {
    const res = await get(`${app.url}/hello/ada`);
    if (res.status !== 200) throw new Error(`esm app answered ${res.status} ${res.body}`);
    await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'esm-backend'));
    // the esm app's spans end before the backend's are exported; give the batch one more cycle
    await new Promise((r) => setTimeout(r, 700));
    return { spans: receiver.spans.filter((x) => x.resource['service.name'] === 'esm-app'), stderr: app.stderr(), stdout: app.stdout(), backendStdout: backend.stdout() };
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

// Which path hooks `import` on this line. The pinned 22, 24 and 26 releases all have the fixed
// module.registerHooks (>= 22.22.3, 24.11.1, 26.0); 18.20 and 20 only have the off-thread module.register.
const SYNC_LINE = APP_NODE_MAJOR >= 22;

t.test(`Node ${APP_NODE_VERSION}: the ESM app is hooked through ${SYNC_LINE ? 'module.registerHooks, express loaded on first import' : 'module.register, instrumentations eager'}`, async (t) => {
  const { spans, stdout } = await run({ OTEL_LOG_LEVEL: 'debug' });
  const modeLines = stdout.split('\n').filter((l) => l.startsWith('otel-injector: ESM hooks: '));
  t.equal(modeLines.length, 1, `one hook-path line: ${JSON.stringify(modeLines)}`);
  const mode = modeLines[0] ?? '';
  t.ok(spans.some((s) => s.kind === CLIENT), 'the named node:http import is hooked');
  t.ok(spans.some((s) => s.scope === '@opentelemetry/instrumentation-express'), 'express spans');
  if (SYNC_LINE) {
    t.match(mode, /^otel-injector: ESM hooks: sync \(in-thread module\.registerHooks\), Node\.js /, 'the in-thread path is taken');
    t.match(mode, /instrumentations at start: \d+, on first use: [1-9]\d*$/, 'package instrumentations wait for their package');
    t.match(stdout, /^otel-injector: instrumentation express loaded on first import of express$/m, 'express instrumentation loaded by the import, not at start');
  } else {
    t.match(mode, /^otel-injector: ESM hooks: async \(off-thread module\.register\), Node\.js /, 'the hooks-thread path is taken');
    t.match(mode, /on first use: 0$/, 'every instrumentation loads at start (imports resolve in the hooks thread)');
    t.notMatch(stdout, /loaded on first import/);
  }
});

t.test(`Node ${APP_NODE_VERSION}: a CommonJS app ${SYNC_LINE ? 'also gets the in-thread hooks' : 'gets no hooks thread'}; express loads on first require`, async (t) => {
  const { backendStdout } = await run({ OTEL_LOG_LEVEL: 'debug' });
  const mode = backendStdout.split('\n').find((l) => l.startsWith('otel-injector: ESM hooks: ')) ?? '';
  t.match(mode, SYNC_LINE ? /ESM hooks: sync \(in-thread module\.registerHooks\)/ : /ESM hooks: off \(not registered\)/);
  t.match(backendStdout, /^otel-injector: instrumentation express loaded on first require of express$/m);
});
