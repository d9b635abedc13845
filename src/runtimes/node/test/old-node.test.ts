// A line that cannot hook ESM: Node 18 before 18.19 has neither module.register nor
// module.registerHooks. The preload says so once on stderr, the ESM app starts and serves, and
// what CommonJS patching reaches (the http server) is still traced. Runs once, with the binary of
// that release fetched by scripts/node-lines.mjs.
import t from 'tap';
import { startReceiver } from '../../../../test/support/receiver.mjs';
import { SERVER, ensureBuilt, get, startApp, webhookEnv } from './helpers.js';
import { NODE_LINES, nodeBinary } from '../../../../scripts/node-lines.mjs';

ensureBuilt();
const node = nodeBinary('18-old');
const version = NODE_LINES['18-old'] ?? '';

t.test(`Node ${version}: ESM app without loader hooks: one stderr line, the app serves, server spans exported`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(async () => { await receiver.close(); });
  const backend = await startApp('express-app.cjs', webhookEnv(receiver.url, 'old-backend', { OTEL_METRICS_EXPORTER: 'none' }), 20000, node);
  const app = await startApp('esm-app.mjs', webhookEnv(receiver.url, 'old-esm', { BACKEND_URL: backend.url, OTEL_METRICS_EXPORTER: 'none' }), 20000, node);
  t.teardown(async () => { await app.stop(); await backend.stop(); });
  const res = await get(`${app.url}/hello/old`);
  t.equal(res.status, 200, 'the app answers');
  t.match(JSON.parse(res.body), { esm: true, user: { id: 'old' } });
  await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'old-esm') &&
    s.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'old-backend'));
  const lines = app.stderr().split('\n').filter((l) => l !== '');
  t.same(lines, [`otel-injector: Node.js ${version} has no module.register: only CommonJS modules are instrumented`], 'exactly one line, saying why');
  t.equal(backend.stderr(), '', 'a CommonJS app on the same release: nothing to say');
  t.ok(receiver.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'old-backend'), 'CommonJS app traced');
});
