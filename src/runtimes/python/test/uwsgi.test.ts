// uWSGI (2.0.31, built from its sdist) in prefork mode (--master --processes 2; SIGTERM ends it through
// --die-on-term or through uWSGI's graceful stop hook)
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
import { until } from './support/proc.js';
import { ensurePayload, type Venv } from './support/python.js';
import { startRedis } from './support/servers.js';

// graceful: SIGTERM handled by uWSGI's graceful stop (the hook its docs give for containers) instead of
// --die-on-term's brutal one.
interface UConfig { readonly lazy: boolean; readonly threads: boolean; readonly graceful?: boolean }
const CONFIGS: readonly UConfig[] = [
  { lazy: false, threads: false }, { lazy: true, threads: false }, { lazy: false, threads: true },
  { lazy: false, threads: false, graceful: true }, { lazy: true, threads: false, graceful: true },
];
const GRACEFUL = ['--hook-master-start', 'unix_signal:15 gracefully_kill_them_all'];
const label = (c: UConfig): string => `uwsgi --master --processes 2${c.lazy ? ' --lazy-apps' : ''}${c.threads ? ' --enable-threads' : ' (no threads)'}${c.graceful ? ' (graceful stop)' : ' --die-on-term'}`;
const STOP_LINE = /^otel-injector: python: uWSGI stops its workers brutally on SIGTERM: .*--hook-master-start "unix_signal:15 gracefully_kill_them_all"$/;

await ensurePayload();
const minors = ['3.10', '3.13'];
const [redis, ...venvs] = await Promise.all([startRedis(), ...minors.map((m) => modelsVenv(m, { uwsgi: true }))]);
t.teardown(() => redis.stop());

function startUwsgi(venv: Venv, c: UConfig, env: Env): Promise<Prefork> {
  const args = [
    '--master', '--processes', '2', '--http-socket', '127.0.0.1:{port}', '--module', 'wsgi:app', '--need-app', ...(c.graceful ? GRACEFUL : ['--die-on-term']),
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
  // graceful: one request still in flight at SIGTERM (started, as the app's stderr says): answered, recorded
  let inflight: Promise<unknown> | undefined;
  if (c.graceful) {
    inflight = u.client.get('/slow/1');
    t.ok(await until(() => u.proc.stderr().includes('slow 1 started by'), 10000), 'a slow request has started');
  }
  const exit = await u.proc.signal('SIGTERM', 30000);
  if (inflight !== undefined) t.ok(await inflight, 'the request in flight at SIGTERM is answered (graceful stop)');
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
  const complete = perWorker.filter((w) => w.answered > 0 && w.spans === w.answered);
  if (c.graceful) {
    // uWSGI's graceful stop lets each worker finish and runs its exit hooks: nothing may be lost.
    checkWorkers(t, receiver, { service, rootPid: u.proc.pid, client: u.client, minWorkers: 2 });
    t.same(lines, [], 'no otel-injector line (the graceful stop is configured)');
    return;
  }
  // --die-on-term (brutal): uWSGI ends a worker that is still busy with a request (uWSGI counts a request
  // until its own after-request work is done, past the response) without any exit hook, uWSGI's or
  // Python's (python_plugin.c), so what that worker recorded since its last export is lost, whole. The
  // payload says so once per pod and names the graceful stop. Held here: nothing partial, nothing
  // misattributed or doubled, every worker that exported is its own source, and at least one complete.
  t.equal(lines.length, 1, 'one otel-injector line for the pod (from worker 1)');
  t.match(lines[0] ?? '', STOP_LINE, 'it names the brutal stop and the graceful one');
  t.ok(perWorker.every((w) => w.spans === 0 || w.spans === w.answered), "each worker's server spans: all of the requests it answered, or none (a whole worker lost by uWSGI)");
  t.ok(complete.length >= 1, `at least one worker's telemetry complete (${complete.map((w) => w.pid).join(', ')})`);
  t.ok(servers.every((s) => pids.has(Number(s.resource['process.pid']))), 'every server span from a worker that answered');
  for (const w of complete) {
    t.ok(w.instanceIds.length === 1 && String(w.instanceIds[0]).endsWith(`.${w.pid}`), `worker ${w.pid}: its own service.instance.id (${w.instanceIds.join(', ')})`);
    t.equal(w.httpCount, w.answered, `worker ${w.pid}: its http.server count = the requests it answered`);
  }
  if (complete.length === perWorker.length) checkWorkers(t, receiver, { service, rootPid: u.proc.pid, client: u.client, minWorkers: 2 });
  else t.comment(`${label(c)}: a whole worker's telemetry lost (uWSGI's brutal stop of a busy worker)`);
}

for (const [i, minor] of minors.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  for (const c of CONFIGS) t.test(`CPython ${minor}: ${label(c)}`, (t) => uwsgiCase(t, venv, c));
}
