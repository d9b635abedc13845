// uWSGI (2.0.31, built from its sdist) in prefork mode (--master --processes 2, --die-on-term as pods need it)
// serving the Flask app, on CPython 3.10 and 3.13: without --lazy-apps (the app loaded in the master, then
// forked) and with it (loaded in each worker), both with uWSGI's default of no threads, and with
// --enable-threads. Every worker must boot and serve and SIGTERM must end it all as fast as uninjected + 1 s,
// never a hang. uWSGI forks its workers in C, without Python's fork hooks, and without threads our background
// threads never run: the payload notices each worker at its first record and flushes from uwsgi.atexit, so
// every worker must be its own source exactly as under gunicorn, threads or not (the case prints what each
// worker exported first).
import t, { type Test } from 'tap';
import type { Env } from './support/app.js';
import { MODELS, alive, checkExitTime, checkWorkers, httpCounts, identities, modelsEnv, modelsVenv, startPrefork, uninjectedEnv, type Prefork } from './support/models.js';
import { SERVER, startReceiver } from './support/otlp.js';
import { ensurePayload, type Venv } from './support/python.js';
import { startRedis } from './support/servers.js';

interface UConfig { readonly lazy: boolean; readonly threads: boolean }
const CONFIGS: readonly UConfig[] = [{ lazy: false, threads: false }, { lazy: true, threads: false }, { lazy: false, threads: true }];
const label = (c: UConfig): string => `uwsgi --master --processes 2${c.lazy ? ' --lazy-apps' : ''}${c.threads ? ' --enable-threads' : ' (no threads)'}`;

await ensurePayload();
const minors = ['3.10', '3.13'];
const [redis, ...venvs] = await Promise.all([startRedis(), ...minors.map((m) => modelsVenv(m, { uwsgi: true }))]);
t.teardown(() => redis.stop());

function startUwsgi(venv: Venv, c: UConfig, env: Env): Promise<Prefork> {
  const args = [
    '--master', '--processes', '2', '--http-socket', '127.0.0.1:{port}', '--module', 'wsgi:app', '--need-app', '--die-on-term',
    ...(c.lazy ? ['--lazy-apps'] : []), ...(c.threads ? ['--enable-threads'] : []),
  ];
  return startPrefork(venv.bin('uwsgi'), args, { env, cwd: MODELS, workers: 2, booted: /spawned uWSGI worker \d+ \(pid: (\d+)/, what: label(c) });
}

async function uwsgiCase(t: Test, venv: Venv, c: UConfig): Promise<void> {
  const plain = await startUwsgi(venv, c, uninjectedEnv({ REDIS_URL: redis.url }));
  t.teardown(() => plain.proc.stop());
  await plain.client.spread(8, 2);
  const without = await plain.proc.signal('SIGTERM', 30000);

  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const service = 'orders';
  const u = await startUwsgi(venv, c, modelsEnv(receiver.url, service, { REDIS_URL: redis.url }));
  t.teardown(() => u.proc.stop());
  const pids = await u.client.spread(20, 2);
  t.same(u.client.failed, [], 'every request answered');
  t.ok(pids.size >= 2, `both workers answered (${[...pids].join(', ')})`);
  const exit = await u.proc.signal('SIGTERM', 30000);
  t.same({ code: exit.code, signal: exit.signal }, { code: without.code, signal: without.signal }, `the master ends as uninjected (${JSON.stringify({ code: without.code, signal: without.signal })})`);
  t.same(u.bootedPids().filter(alive), [], 'no worker outlives the master');
  checkExitTime(t, exit.ms, without.ms, label(c));
  const stderr = u.proc.stderr();
  t.notMatch(stderr, /Traceback/, 'no traceback');
  const lines = stderr.split('\n').filter((l) => l.includes('otel-injector'));

  const ids = identities(receiver, service);
  const counts = httpCounts(receiver, service);
  const servers = receiver.spans.filter((s) => s.kind === SERVER);
  const perWorker = [...pids].map((pid) => ({
    pid,
    answered: u.client.served.filter((r) => r.pid === pid).length,
    spans: servers.filter((s) => s.resource['process.pid'] === pid).length,
    logs: receiver.logs.filter((l) => l.resource['process.pid'] === pid).length,
    httpCount: counts.get(pid),
    instanceIds: [...(ids.get(pid) ?? [])],
  }));
  t.comment(`${label(c)}: master ${u.proc.pid}; exported per worker: ${JSON.stringify(perWorker)}; from other pids: ${JSON.stringify([...ids.keys()].filter((p) => !pids.has(p)))}; lines: ${JSON.stringify(lines)}`);
  // Known gap (docs/python.md, issue 19): now and then uWSGI ends one worker without running its exit hooks
  // (uWSGI's own atexit and Python's), so what that worker recorded since its last export is lost, whole.
  // Held here: nothing partial, nothing misattributed or doubled, every worker that exported is its own
  // source, and at least one worker's telemetry is complete.
  const complete = perWorker.filter((w) => w.answered > 0 && w.spans === w.answered);
  t.ok(perWorker.every((w) => w.spans === 0 || w.spans === w.answered), "each worker's server spans: all of the requests it answered, or none (a whole worker lost by uWSGI)");
  t.ok(complete.length >= 1, `at least one worker's telemetry complete (${complete.map((w) => w.pid).join(', ')})`);
  t.ok(servers.every((s) => pids.has(Number(s.resource['process.pid']))), 'every server span from a worker that answered');
  for (const w of complete) {
    t.ok(w.instanceIds.length === 1 && String(w.instanceIds[0]).endsWith(`.${w.pid}`), `worker ${w.pid}: its own service.instance.id (${w.instanceIds.join(', ')})`);
    t.equal(w.httpCount, w.answered, `worker ${w.pid}: its http.server count = the requests it answered`);
  }
  if (complete.length === perWorker.length) checkWorkers(t, receiver, { service, rootPid: u.proc.pid, client: u.client, minWorkers: 2 });
  else t.comment(`${label(c)}: a whole worker's telemetry lost (the known uWSGI exit-hook gap)`);
  t.same(lines, [], 'no otel-injector line');
}

for (const [i, minor] of minors.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  for (const c of CONFIGS) t.test(`CPython ${minor}: ${label(c)}`, (t) => uwsgiCase(t, venv, c));
}
