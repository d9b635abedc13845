// The preload never breaks the app: unreachable collector, OTEL_SDK_DISABLED, broken endpoint values,
// SIGTERM without a handler of the app's own, and an app that starts its own SDK.
import { createServer } from 'node:net';
import t from 'tap';
import { startReceiver } from '../../../../test/support/receiver.mjs';
import { APP_NODE, SERVER, cleanCommand, ensureBuilt, get, rssOf, startApp, webhookEnv } from './helpers.js';

ensureBuilt();

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function load(url: string, total: number, concurrency: number): Promise<number> {
  let ok = 0;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++;
      if ((await get(url)).status === 200) ok++;
    }
  }));
  return ok;
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

const MB = 2 ** 20;
const mb = (n: number): string => (n / MB).toFixed(1);

async function retained(url: string): Promise<number> {
  return (JSON.parse((await get(`${url}/__heap`)).body) as { retained: number }).retained;
}

t.test('unreachable collector: the app answers, memory stays bounded, at most one warning line', async (t) => {
  const port = await closedPort();
  const app = await startApp('heap.cjs', webhookEnv(`http://127.0.0.1:${port}`, 'lonely'));
  t.teardown(async () => { await app.stop(); });
  await load(app.url, 500, 10); // warm-up
  const start = await retained(app.url);
  const rssStart = rssOf(app.proc.pid ?? 0);
  t.equal(await load(app.url, 4000, 20), 4000, 'every request answered');
  await new Promise((r) => setTimeout(r, 1500));
  const first = await retained(app.url);
  t.equal(await load(app.url, 4000, 20), 4000, 'every request of a second round answered');
  await new Promise((r) => setTimeout(r, 1500));
  const second = await retained(app.url);
  const rssEnd = rssOf(app.proc.pid ?? 0);
  // What an unreachable collector may cost is the bounded export queues (2048 spans, 2048 log
  // records): a few MB. Retained memory after a full GC measures that, independent of when V8 hands
  // freed pages back; RSS is only reported (it moved by 54 MB on a loaded CI machine with no leak).
  t.ok(first - start < 24 * MB, `retained memory after 4000 requests grows by less than 24 MB (${mb(first - start)} MB)`);
  t.ok(second - first < 8 * MB, `a second round of 4000 requests adds less than 8 MB: the queues are full, nothing accumulates (${mb(second - first)} MB)`);
  t.comment(`RSS ${mb(rssStart)} MB -> ${mb(rssEnd)} MB`);
  const err = lines(app.stderr());
  t.ok(err.length <= 1, `at most one stderr line: ${JSON.stringify(err)}`);
  t.ok(err.every((l) => l.startsWith('otel-injector: ')), 'and it is ours');
});

t.test('OTEL_SDK_DISABLED=true: no export, no error', async (t) => {
  const receiver = await startReceiver();
  // (registered first: a failing startApp must not leave the receiver keeping the test process alive)
  t.teardown(async () => { await receiver.close(); });
  const app = await startApp('hello.cjs', webhookEnv(receiver.url, 'off', { OTEL_SDK_DISABLED: 'true' }));
  t.teardown(async () => { await app.stop(); });
  t.equal((await get(app.url)).status, 200);
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(receiver.requests.length, 0, 'nothing exported');
  t.equal(app.stderr(), '', 'nothing on stderr');
});

for (const endpoint of ['not a url', 'ftp://collector:4318', 'http://[::1']) {
  t.test(`broken endpoint ${JSON.stringify(endpoint)}: the app runs, one warning line`, async (t) => {
    const app = await startApp('hello.cjs', webhookEnv(endpoint, 'broken'));
    t.teardown(async () => { await app.stop(); });
    t.equal((await get(app.url)).status, 200, 'app answers');
    const err = lines(app.stderr());
    t.equal(err.length, 1, `exactly one stderr line: ${JSON.stringify(err)}`);
    t.match(err[0] ?? '', /^otel-injector: not started \(OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
}

t.test('SIGTERM, app without a handler: spans flushed, then the process ends by the signal, promptly', async (t) => {
  const receiver = await startReceiver();
  // (registered first: a failing startApp must not leave the receiver keeping the test process alive)
  t.teardown(async () => { await receiver.close(); });
  // A long batch delay: only the shutdown flush can deliver the span in time.
  const app = await startApp('idle-exit.cjs', webhookEnv(receiver.url, 'term', { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_METRICS_EXPORTER: 'none' }));
  t.teardown(async () => { await app.stop(); });
  t.equal((await get(`${app.url}/bye`)).status, 200);
  const end = await app.stop('SIGTERM');
  t.equal(end.signal, 'SIGTERM', 'ended by SIGTERM, as without the preload');
  t.ok(end.ms < 4000, `within the bounded flush time (${end.ms} ms)`);
  // The process is gone: whatever arrives now was sent before it ended (the receiver may still be parsing it).
  const bye = await receiver.waitFor((st) => st.spans.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/bye'), 3000).catch(() => receiver);
  t.ok(bye.spans.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/bye'), 'the pending span was flushed');
});

t.test("SIGTERM, app with its own handler: the app's handler decides (exit 0), spans flushed", async (t) => {
  const receiver = await startReceiver();
  // (registered first: a failing startApp must not leave the receiver keeping the test process alive)
  t.teardown(async () => { await receiver.close(); });
  const app = await startApp('graceful.cjs', webhookEnv(receiver.url, 'graceful', { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_METRICS_EXPORTER: 'none' }));
  t.teardown(async () => { await app.stop(); });
  t.equal((await get(`${app.url}/last`)).status, 200);
  const end = await app.stop('SIGTERM');
  t.equal(end.code, 0, 'exit code chosen by the app');
  t.equal(end.signal, null, 'not killed by the re-raised signal');
  t.match(app.stdout(), /draining/);
  const last = await receiver.waitFor((st) => st.spans.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/last'), 3000).catch(() => receiver);
  t.ok(last.spans.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/last'), 'pending span flushed before the app exits');
});

t.test('SIGTERM with an unreachable collector still ends within the bound', async (t) => {
  const port = await closedPort();
  const app = await startApp('idle-exit.cjs', webhookEnv(`http://127.0.0.1:${port}`, 'term2', { OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS: '1500' }));
  t.equal((await get(app.url)).status, 200);
  const end = await app.stop('SIGTERM');
  t.equal(end.signal, 'SIGTERM');
  t.ok(end.ms < 4000, `ended in ${end.ms} ms`);
});

t.test('an app that starts its own SDK: the preload steps aside, no double spans', async (t) => {
  const receiver = await startReceiver();
  // (registered first: a failing startApp must not leave the receiver keeping the test process alive)
  t.teardown(async () => { await receiver.close(); });
  const app = await startApp('own-sdk.cjs', webhookEnv(receiver.url, 'preload-svc', { OWN_ENDPOINT: receiver.url, OTEL_METRICS_EXPORTER: 'none' }));
  t.teardown(async () => { await app.stop(); });
  for (let i = 0; i < 3; i++) t.equal((await get(`${app.url}/x${i}`)).status, 200);
  await receiver.waitFor((s) => s.spans.filter((x) => x.kind === SERVER).length >= 3);
  await new Promise((r) => setTimeout(r, 1000));
  const servers = receiver.spans.filter((x) => x.kind === SERVER);
  t.equal(servers.length, 3, 'exactly one server span per request');
  t.ok(servers.every((x) => x.resource['service.name'] === 'own-sdk'), "all from the app's own SDK");
  t.match(app.stderr(), /otel-injector: the application loads its own OpenTelemetry SDK/);
});

t.test('a short-lived script with an unreachable collector exits within the flush bound, with its own exit code', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const port = await closedPort();
  const env = { ...webhookEnv(`http://127.0.0.1:${port}`, 'job'), OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS: '1000' };
  const started = Date.now();
  const c = cleanCommand(APP_NODE, ['-e', 'console.log("done"); process.exitCode = 3'], env);
  const run = spawnSync(c.cmd, c.args, { env: c.env, encoding: 'utf8', timeout: 30_000 });
  const elapsed = Date.now() - started;
  t.equal(run.stdout.trim(), 'done');
  t.equal(run.status, 3, 'the exit code the script set');
  t.ok(elapsed < 5000, `exited ${elapsed} ms after start (flush bound 1000 ms; the exporter alone would retry for ~10 s)`);
  t.equal(run.stderr, '', 'nothing on stderr');
});

t.test('node -e and -p (no entry file) run under the preload', async (t) => {
  // Eval contexts crash inside in-thread load hooks (Node 22/24/26): the preload must not register them there.
  const { spawnSync } = await import('node:child_process');
  const receiver = await startReceiver();
  t.teardown(async () => { await receiver.close(); });
  const env = webhookEnv(receiver.url, 'eval', { OTEL_METRICS_EXPORTER: 'none', OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS: '1000' });
  const ce = cleanCommand(APP_NODE, ['-e', 'console.log(require("node:module").builtinModules.length > 0, process.env.NODE_OPTIONS === ' + JSON.stringify(env.NODE_OPTIONS) + ')'], env);
  const e = spawnSync(ce.cmd, ce.args, { env: ce.env, encoding: 'utf8', timeout: 30_000 });
  t.equal(e.status, 0, `-e exits 0 (${e.stderr.slice(0, 300)})`);
  t.equal(e.stdout.trim(), 'true true', 'ran, with exactly the NODE_OPTIONS the webhook sets');
  const cp = cleanCommand(APP_NODE, ['-p', '6 * 7'], env);
  const p = spawnSync(cp.cmd, cp.args, { env: cp.env, encoding: 'utf8', timeout: 30_000 });
  t.equal(p.status, 0, `-p exits 0 (${p.stderr.slice(0, 300)})`);
  t.equal(p.stdout.trim(), '42');
  // with arguments after the script, argv[1] is the first of them, not an entry file (crashed before)
  const ca = cleanCommand(APP_NODE, ['-e', 'const fs = require("fs"); console.log(fs.existsSync(process.argv[1]), process.argv.length)', '/'], env);
  const a = spawnSync(ca.cmd, ca.args, { env: ca.env, encoding: 'utf8', timeout: 30_000 });
  t.equal(a.status, 0, `-e with an argument exits 0 (${a.stderr.slice(0, 300)})`);
  t.equal(a.stdout.trim(), 'true 2', 'ran, saw its argument');
  const cpa = cleanCommand(APP_NODE, ['-p', 'require("path").basename(process.argv[1])', '/x/y'], env);
  const pa = spawnSync(cpa.cmd, cpa.args, { env: cpa.env, encoding: 'utf8', timeout: 30_000 });
  t.equal(pa.status, 0, `-p with an argument exits 0 (${pa.stderr.slice(0, 300)})`);
  t.equal(pa.stdout.trim(), 'y');
});
