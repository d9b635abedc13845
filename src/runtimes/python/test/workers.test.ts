// Two more pre-fork models, on CPython 3.10 and 3.13: `uvicorn --workers 2` (its supervisor starts the workers
// with multiprocessing's spawn: fresh interpreters with the inherited environment) serving the FastAPI app,
// and Celery's prefork pool (2 children) running tasks a client sends through a real Redis broker. Every
// worker boots and works (bounded waits, never a hang); each one's telemetry carries its own process.pid and
// service.instance.id; SIGTERM to the master on the production cadence: everything each worker recorded is at
// the receiver the moment the master is gone, the exit as fast as uninjected + 1 s.
import t, { type Test } from 'tap';
import { SERVER, startReceiver } from './support/otlp.js';
import { MODELS, alive, checkExitTime, checkWorkers, counterSum, identities, instanceBase, modelsEnv, modelsVenv, startPrefork, uninjectedEnv } from './support/models.js';
import { run, runToEnd, type Proc } from './support/proc.js';
import { ensurePayload, type Venv } from './support/python.js';
import { startRedis } from './support/servers.js';
import type { Env } from './support/app.js';

await ensurePayload();
const minors = ['3.10', '3.13'];
const [redis, ...venvs] = await Promise.all([startRedis(), ...minors.map((m) => modelsVenv(m))]);
t.teardown(() => redis.stop());
const broker = redis.url.replace(/\/0$/, '/1');

const uvicornWorkers = (venv: Venv, env: Env) => startPrefork(venv.bin('uvicorn'), ['asgi:app', '--workers', '2', '--host', '127.0.0.1', '--port', '{port}'], {
  env, cwd: MODELS, workers: 2, booted: /Started server process \[(\d+)\]/, what: 'uvicorn --workers 2',
});

async function uvicornCase(t: Test, venv: Venv): Promise<void> {
  const plain = await uvicornWorkers(venv, uninjectedEnv({ REDIS_URL: redis.url }));
  t.teardown(() => plain.proc.stop());
  await plain.client.spread(8, 2);
  const without = await plain.proc.signal('SIGTERM', 30000);

  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const u = await uvicornWorkers(venv, modelsEnv(receiver.url, 'orders', { REDIS_URL: redis.url }));
  t.teardown(() => u.proc.stop());
  const pids = await u.client.spread(20, 2);
  t.same(u.client.failed, [], 'every request answered');
  t.ok(pids.size >= 2, `both workers answered (${[...pids].join(', ')})`);
  t.equal(receiver.spans.length + receiver.logs.length, 0, 'nothing exported before SIGTERM (30 s batches, 60 s metrics)');
  const exit = await u.proc.signal('SIGTERM', 30000);
  t.same({ code: exit.code, signal: exit.signal }, { code: without.code, signal: without.signal }, 'the supervisor ends as uninjected');
  t.same(u.bootedPids().filter(alive), [], 'no worker outlives the supervisor');
  checkWorkers(t, receiver, { service: 'orders', rootPid: u.proc.pid, client: u.client, minWorkers: 2 });
  t.same(u.proc.stderr().split('\n').filter((l) => l.includes('otel-injector')), [], 'no otel-injector line');
  checkExitTime(t, exit.ms, without.ms, 'uvicorn --workers 2');
}

const celeryArgs = (name: string): string[] => ['-A', 'tasks', 'worker', '--pool=prefork', '--concurrency=2', '--loglevel=INFO', '--without-heartbeat', '--without-mingle', '--without-gossip', '-n', `${name}@localhost`];

/** A Celery worker, ready (bounded), the client's tasks sent and answered; returns the pids that ran them. */
async function celeryRound(venv: Venv, workerEnv: Env, clientEnv: Env, name: string): Promise<{ worker: Proc; pids: number[] }> {
  const worker = run(venv.bin('celery'), celeryArgs(name), { env: workerEnv, cwd: MODELS });
  await worker.waitOutput(/ ready\./, 60000, 'the Celery worker ready');
  const out = await runToEnd(venv.python, ['send.py', '8'], { env: clientEnv, cwd: MODELS, timeoutMs: 90000 })
    .catch((err: unknown) => { throw new Error(`the client's tasks did not all complete (a pool child that hangs never runs them): ${String(err)}\n${worker.stderr().slice(-2000)}`); });
  return { worker, pids: JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as number[] };
}

async function celeryCase(t: Test, venv: Venv, minor: string): Promise<void> {
  const plainEnv = uninjectedEnv({ BROKER_URL: broker });
  const plain = await celeryRound(venv, plainEnv, plainEnv, `plain${minor}`);
  t.teardown(() => plain.worker.stop());
  const without = await plain.worker.signal('SIGTERM', 30000);

  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const { worker, pids } = await celeryRound(venv, modelsEnv(receiver.url, 'worker', { BROKER_URL: broker }), modelsEnv(receiver.url, 'client', { BROKER_URL: broker }), `injected${minor}`);
  t.teardown(() => worker.stop());
  const children = [...new Set(pids)];
  t.equal(pids.length, 8, 'the 8 tasks ran');
  t.ok(children.length === 2 && !children.includes(worker.pid), `both pool children ran tasks, the master none (${children.join(', ')}; master ${worker.pid})`);
  const exit = await worker.signal('SIGTERM', 30000);
  t.same({ code: exit.code, signal: exit.signal }, { code: without.code, signal: without.signal }, 'the worker ends as uninjected (warm shutdown)');
  t.same(children.filter(alive), [], 'no pool child outlives the master');

  const runs = receiver.spans.filter((s) => s.resource['service.name'] === 'worker' && s.name === 'run/tasks.work');
  const sends = receiver.spans.filter((s) => s.resource['service.name'] === 'client' && s.name === 'apply_async/tasks.work');
  t.equal(sends.length, 8, 'the client\'s 8 publish spans arrived');
  t.equal(runs.length, 8, `one run span per task, from the worker (${receiver.spans.map((s) => s.name).join(', ')})`);
  t.same(runs.filter((s) => !children.includes(Number(s.resource['process.pid']))), [], 'every run span from a pool child (its own process.pid)');
  t.same(runs.filter((s) => !sends.some((p) => p.traceId === s.traceId)), [], 'each run span continues the trace of the client\'s publish');
  const logs = receiver.logs.filter((l) => /^task \d+ done by \d+$/.test(String(l.body)));
  t.equal(logs.length, 8, 'every task\'s log line arrived');
  t.same(logs.filter((l) => !runs.some((s) => s.traceId === l.traceId && s.spanId === l.spanId && String(l.body).endsWith(` ${String(s.resource['process.pid'])}`))), [], 'each with its run span\'s trace and span id, from the child that ran it');
  const ids = identities(receiver, 'worker');
  for (const pid of children) t.same([...(ids.get(pid) ?? [])], [`${instanceBase('worker')}.${pid}`], `pool child ${pid}: service.instance.id <base>.${pid}`);
  if (ids.has(worker.pid)) t.same([...(ids.get(worker.pid) ?? [])], [instanceBase('worker')], 'the master keeps the webhook\'s service.instance.id');
  const done = counterSum(receiver, 'worker', 'tasks.done');
  t.equal(done.sum, 8, `tasks.done summed over the processes = tasks run (${JSON.stringify(done.byPid)})`);
  t.equal(receiver.spans.filter((s) => s.kind === SERVER).length, 0, 'no HTTP server involved');
  t.same(worker.stderr().split('\n').filter((l) => l.includes('otel-injector')), [], 'no otel-injector line');
  checkExitTime(t, exit.ms, without.ms, 'celery worker --pool=prefork --concurrency=2');
}

for (const [i, minor] of minors.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  t.test(`CPython ${minor}: uvicorn --workers 2`, (t) => uvicornCase(t, venv));
  t.test(`CPython ${minor}: celery worker --pool=prefork --concurrency=2, tasks sent through Redis`, (t) => celeryCase(t, venv, minor));
}
