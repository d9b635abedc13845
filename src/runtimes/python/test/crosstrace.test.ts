// One label, both runtimes: a Node service and a Python service in one trace. Every process gets the full
// environment the webhook sets on a container (NODE_OPTIONS with the Node preload AND PYTHONPATH with the
// Python payload): each runtime reads only its own variable.
import t from 'tap';
import { startApp, webhookEnv } from '../../node/test/helpers.js';
import { getJson, pythonEnv, startPyApp } from './support/app.js';
import { CLIENT, SERVER, serverSpan, startReceiver } from './support/otlp.js';
import { NODE_PAYLOAD } from './support/paths.js';
import { ensurePayload, ensureVenv, shopRequirements, testedPythons } from './support/python.js';

await ensurePayload();

for (const minor of testedPythons()) {
  t.test(`CPython ${minor}: Node (express) → Python (FastAPI) → Node (express) is one trace`, async (t) => {
    const venv = await ensureVenv('shop', minor, shopRequirements(minor));
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const both = (service: string, extra: Record<string, string>): Record<string, string | undefined> => ({
      ...webhookEnv(receiver.url, service, { OTEL_METRICS_EXPORTER: 'none', ...extra }),
      ...pythonEnv(receiver.url, service, { OTEL_METRICS_EXPORTER: 'none', ...extra }),
      NODE_OPTIONS: `--no-deprecation --require ${NODE_PAYLOAD}/register.cjs`,
    });
    const profiles = await startApp('express-app.cjs', both('profiles', {}));
    t.teardown(() => profiles.stop());
    const users = await startPyApp(venv, both('users', { USERS_URL: profiles.url }));
    t.teardown(() => users.stop());
    const gateway = await startApp('express-app.cjs', both('gateway', { BACKEND_URL: users.url }));
    t.teardown(() => gateway.stop());

    const res = await getJson(`${gateway.url}/api/users/7`);
    t.equal(res.status, 200);
    t.same(res.json, { via: 'frontend', user: { id: '7', name: 'user-7', by: 'python', profile: { id: '7', name: 'user-7' } } }, 'answers as without instrumentation');

    const st = await receiver.waitFor((s) =>
      serverSpan(s, 'gateway', '/api/users/:id') !== undefined &&
      serverSpan(s, 'users', '/users/{user_id}') !== undefined &&
      serverSpan(s, 'profiles', '/users/:id') !== undefined &&
      s.spans.some((x) => x.kind === CLIENT && x.resource['service.name'] === 'users'), 20000).catch(() => receiver);
    const gw = serverSpan(st, 'gateway', '/api/users/:id');
    const py = serverSpan(st, 'users', '/users/{user_id}');
    const prof = serverSpan(st, 'profiles', '/users/:id');
    const gwClient = st.spans.find((s) => s.kind === CLIENT && s.resource['service.name'] === 'gateway');
    const pyClient = st.spans.find((s) => s.kind === CLIENT && s.resource['service.name'] === 'users');
    if (!gw || !py || !prof || !gwClient || !pyClient) {
      t.fail(`spans missing: ${st.spans.map((s) => `${String(s.resource['service.name'])}:${s.name}(${s.kind})`).join(', ')}`);
      return;
    }
    t.equal(gw.parentSpanId, '', 'the Node gateway starts the trace');
    t.equal(py.traceId, gw.traceId, 'the Python service continues the Node trace');
    t.equal(py.parentSpanId, gwClient.spanId, 'its server span is a child of the Node client span');
    t.equal(pyClient.parentSpanId, py.spanId, 'the httpx client span is a child of the Python server span');
    t.equal(prof.traceId, gw.traceId, 'the Node service called from Python is in the same trace');
    t.equal(prof.parentSpanId, pyClient.spanId, 'its server span is a child of the Python (httpx) client span');
    t.equal(py.kind, SERVER);
    t.equal(py.resource['telemetry.sdk.language'], 'python');
    t.equal(gw.resource['telemetry.sdk.language'], 'nodejs');
    t.equal(gw.resource['k8s.deployment.name'], 'gateway');
    t.equal(py.resource['k8s.deployment.name'], 'users');
    t.same(receiver.errors, []);
    t.same(users.injectorLines(), [], 'Python ignores NODE_OPTIONS: no otel-injector line');
    t.notMatch(gateway.stderr() + profiles.stderr(), /otel-injector/, 'Node ignores PYTHONPATH: no otel-injector line');
  });
}
