// SIGTERM and a collector that is not there. uvicorn stops gracefully on SIGTERM and then re-raises the
// signal on itself, so atexit never runs: what was recorded before the signal must still reach the
// collector (our handler flushes, bounded), and the process must end exactly as it does without us.
import { createServer, type Server, type Socket } from 'node:net';
import t from 'tap';
import { getJson, plainEnv, pythonEnv, startPyApp } from './support/app.js';
import { SERVER, startReceiver } from './support/otlp.js';
import { freePort } from './support/proc.js';
import { ensurePayload, ensureVenv, shopRequirements, testedPythons } from './support/python.js';

await ensurePayload();

const venvFor = (minor: string) => ensureVenv('shop', minor, shopRequirements(minor));
// Nothing leaves on schedule: only the flush on SIGTERM can deliver.
const NO_SCHEDULE = { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000', OTEL_METRIC_EXPORT_INTERVAL: '60000' };

/** How the same app ends on SIGTERM without the injector (measured once per Python). */
const baselines = new Map<string, Promise<{ code: number | null; signal: NodeJS.Signals | null }>>();
function exitWithout(minor: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let p = baselines.get(minor);
  if (p === undefined) {
    p = (async () => {
      const plain = await startPyApp(await venvFor(minor), plainEnv());
      const served = (await getJson(`${plain.url}/stock/1`)).status;
      const r = await plain.signal('SIGTERM');
      if (served !== 200) throw new Error(`the uninstrumented app answered ${served}`);
      return { code: r.code, signal: r.signal };
    })();
    baselines.set(minor, p);
  }
  return p;
}

for (const minor of testedPythons()) {
  t.test(`CPython ${minor}: SIGTERM under uvicorn: spans and logs recorded before the signal are exported, the exit is unchanged`, async (t) => {
    const venv = await venvFor(minor);
    const without = await exitWithout(minor);

    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const app = await startPyApp(venv, pythonEnv(receiver.url, 'bakery', NO_SCHEDULE));
    t.teardown(() => app.stop());
    for (const id of [1, 2, 3]) t.equal((await getJson(`${app.url}/stock/${id}`)).status, 200);
    t.equal(receiver.spans.length, 0, 'nothing exported before the signal (schedule delay 60 s)');
    const withUs = await app.signal('SIGTERM');

    t.same({ code: withUs.code, signal: withUs.signal }, { code: without.code, signal: without.signal }, `exit as without the injector (${JSON.stringify({ code: without.code, signal: without.signal })})`);
    t.ok(withUs.ms < 10000, `exited within 10 s (${withUs.ms} ms)`);
    const routes = receiver.spans.filter((s) => s.kind === SERVER && s.attributes['http.route'] === '/stock/{item_id}');
    t.equal(routes.length, 3, 'the three requests\' server spans reached the collector');
    for (const id of [1, 2, 3]) t.ok(receiver.logs.some((l) => l.body === `stock of ${id} looked up`), `log "stock of ${id} looked up" reached the collector`);
    t.ok(receiver.metrics.some((m) => m.name === 'http.server.request.duration' || m.name === 'http.server.duration'), 'the HTTP duration metric was flushed too');
    t.same(receiver.errors, []);
    t.same(app.injectorLines(), [], 'no otel-injector line');
    t.match(app.stderr(), /Finished server process/, 'uvicorn shut down gracefully (its own handler ran)');
  });
}

const minor = testedPythons().at(-1) ?? '3.13';

t.test(`CPython ${minor}: an unreachable collector: the app serves, SIGTERM ends it within 10 s as without us`, async (t) => {
  const venv = await venvFor(minor);
  const without = await exitWithout(minor);
  const closed = await freePort();
  const app = await startPyApp(venv, pythonEnv(`http://127.0.0.1:${closed}`, 'lonely'));
  t.teardown(() => app.stop());
  let ok = 0;
  for (let i = 0; i < 40; i++) if ((await getJson(`${app.url}/stock/${i}`)).status === 200) ok++;
  t.equal(ok, 40, 'every request answered');
  await new Promise((r) => setTimeout(r, 1500)); // a few failed export rounds
  t.equal((await getJson(`${app.url}/health`)).status, 200, 'still serving after failed exports');
  const withUs = await app.signal('SIGTERM');
  t.same({ code: withUs.code, signal: withUs.signal }, { code: without.code, signal: without.signal }, 'exit as without the injector');
  t.ok(withUs.ms < 10000, `exited within 10 s (${withUs.ms} ms)`);
  t.ok(app.injectorLines().length <= 1, `at most one otel-injector line (${app.injectorLines().join(' | ')})`);
  t.notMatch(app.stderr(), /Traceback/, 'no traceback printed');
});

t.test(`CPython ${minor}: a collector that accepts connections and never answers: SIGTERM still ends the app within 10 s`, async (t) => {
  const venv = await venvFor(minor);
  const without = await exitWithout(minor);
  const sockets = new Set<Socket>();
  const blackhole: Server = createServer((s) => { sockets.add(s); s.on('error', () => undefined); });
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); blackhole.close(); });
  const port = (blackhole.address() as { port: number }).port;
  const app = await startPyApp(venv, pythonEnv(`http://127.0.0.1:${port}`, 'stuck'));
  t.teardown(() => app.stop());
  for (let i = 0; i < 10; i++) t.equal((await getJson(`${app.url}/stock/${i}`)).status, 200);
  await new Promise((r) => setTimeout(r, 1500)); // exports are now hanging on the black hole
  t.ok(sockets.size > 0, 'the app tried to export');
  const withUs = await app.signal('SIGTERM');
  t.ok(withUs.ms < 10000, `exited within 10 s (${withUs.ms} ms)`);
  t.same({ code: withUs.code, signal: withUs.signal }, { code: without.code, signal: without.signal }, 'exit as without the injector');
  t.notMatch(app.stderr(), /Traceback/, 'no traceback printed');
});
