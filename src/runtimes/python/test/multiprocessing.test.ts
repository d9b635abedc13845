// multiprocessing pools with each start method (fork, forkserver, spawn), ended the two usual ways (the `with`
// block, which terminates the workers with SIGTERM, and close()+join(), where they return and exit), and an
// app calling os.fork() itself after it has worked, on CPython 3.10 and 3.13, on the production cadence. The
// parent works before the pool exists (its spans queued, its counter at 3), so a child that re-exported the
// parent's data would show. Judged the moment the parent has exited: every job's span exactly once, from the
// process that ran it, its log with its trace, one identity per process, the job counter summed over the
// processes equal to the jobs run. Every run is bounded: a child that hangs fails the case, never the suite.
import t, { type Test } from 'tap';
import type { Env } from './support/app.js';
import { MODELS, counterSum, identities, instanceBase, modelsEnv, modelsVenv } from './support/models.js';
import { startReceiver, type ReceiverState } from './support/otlp.js';
import { run, tail } from './support/proc.js';
import { ensurePayload, type Venv } from './support/python.js';

await ensurePayload();
const minors = ['3.10', '3.13'];
const venvs = await Promise.all(minors.map((m) => modelsVenv(m)));

/**
 * Runs `script` to its end (at most 60 s); its last stdout line is JSON. Past 60 s every process of the run gets
 * SIGABRT, so faulthandler (PYTHONFAULTHANDLER) prints where each thread of each process hangs, then all are killed.
 */
async function runScript(venv: Venv, args: string[], env: Env): Promise<{ code: number | null; json: Record<string, unknown>; stderr: string }> {
  const p = run(venv.python, args, { env: { ...env, PYTHONFAULTHANDLER: '1' }, cwd: MODELS });
  const timer = setTimeout(() => {
    try { process.kill(-p.pid, 'SIGABRT'); } catch { /* gone */ }
    setTimeout(() => { void p.stop(1000); }, 1000);
  }, 60000);
  const r = await p.exited;
  clearTimeout(timer);
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(p.stdout().trim().split('\n').at(-1) ?? '') as Record<string, unknown>; } catch { json = { unparsed: p.stdout() }; }
  if (r.code === null || r.signal === 'SIGABRT') json.error = `${args.join(' ')} did not finish within 60 s (a child that hangs after the fork?):\n${tail(p.stderr(), 8000)}`;
  return { code: r.code, json, stderr: p.stderr() };
}

/** Every job's span exactly once from the process that ran it, its log with its trace, identities, the counter. */
function checkJobs(t: Test, st: ReceiverState, service: string, parent: number, jobs: number[]): void {
  const spans = st.spans.filter((s) => s.resource['service.name'] === service && /^job \d+$/.test(s.name));
  t.equal(spans.length, jobs.length, `${jobs.length} job spans, none twice (${spans.map((s) => `${s.name}@${String(s.resource['process.pid'])}`).join(', ')})`);
  for (const [n, pid] of jobs.entries()) {
    const span = spans.find((s) => s.name === `job ${n}`);
    const log = st.logs.find((l) => l.body === `job ${n} done by ${pid}`);
    t.equal(span?.resource['process.pid'], pid, `job ${n}: its span from process ${pid}`);
    t.ok(log !== undefined && span !== undefined && log.traceId === span.traceId && log.spanId === span.spanId && log.resource['process.pid'] === pid, `job ${n}: its log with the span's trace and span id, from ${pid}`);
  }
  const ids = identities(st, service);
  const base = instanceBase(service);
  t.same([...(ids.get(parent) ?? [])], [base], `the parent (${parent}) keeps the webhook's service.instance.id`);
  const others = [...ids.entries()].filter(([pid]) => pid !== parent);
  t.same(others.filter(([pid, set]) => set.size !== 1 || !set.has(`${base}.${pid}`)).map(([pid, set]) => [pid, [...set]]), [], `every other process: <base>.<its pid> (${others.map(([pid]) => pid).join(', ')})`);
  const done = counterSum(st, service, 'jobs.done');
  t.equal(done.sum, jobs.length, `jobs.done summed over the processes = jobs run (${JSON.stringify(done.byPid)})`);
  t.equal(done.byPid[parent], jobs.filter((p) => p === parent).length, 'the parent counts only its own jobs');
  t.same(st.errors, [], 'every export decoded');
}

function checkStderr(t: Test, stderr: string): void {
  t.notMatch(stderr, /Traceback/, 'no traceback');
  t.same(stderr.split('\n').filter((l) => l.includes('otel-injector')), [], 'no otel-injector line');
}

const FORK_WARNING = /This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks/;

async function poolCase(t: Test, venv: Venv, method: string, ending: string): Promise<void> {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const r = await runScript(venv, ['pool.py', method, ending], modelsEnv(receiver.url, 'batch'));
  t.equal(r.json.error, undefined, 'the pool finished');
  t.equal(r.code, 0, `exit 0${r.code !== 0 ? `:\n${tail(r.stderr)}` : ''}`);
  const jobs = (r.json.jobs ?? []) as number[];
  const parent = Number(r.json.parent);
  const workers = [...new Set(jobs.slice(3))];
  t.equal(jobs.length, 11, '11 jobs ran');
  t.ok(workers.length >= 1 && !workers.includes(parent), `pool workers ran the pool's jobs (${workers.join(', ')}; parent ${parent})`);
  checkJobs(t, receiver, 'batch', parent, jobs);
  checkStderr(t, r.stderr);
}

async function forkCase(t: Test, venv: Venv, minor: string, appThread: boolean): Promise<void> {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const r = await runScript(venv, ['forker.py', ...(appThread ? ['app-thread'] : [])], modelsEnv(receiver.url, 'forker'));
  t.equal(r.json.error, undefined, 'the forked child started and finished within 10 s');
  t.equal(r.code, 0, `exit 0${r.code !== 0 ? `:\n${tail(r.stderr)}` : ''}`);
  t.equal(r.json.child_status, 0, 'the child ended with sys.exit(0)');
  const jobs = (r.json.jobs ?? []) as number[];
  const parent = Number(r.json.parent);
  t.same(jobs, [parent, parent, parent, Number(r.json.child), Number(r.json.child), parent], 'jobs 0-2 and 5 in the parent, 3-4 in the child');
  checkJobs(t, receiver, 'forker', parent, jobs);
  checkStderr(t, r.stderr);
  // CPython 3.12+ warns at a fork from __main__ in a multi-threaded process: not for threads that are only
  // ours (their fork safety is the payload's), as it would for the app's own thread.
  if (!appThread) t.notMatch(r.stderr, FORK_WARNING, "no fork warning caused by the payload's threads");
  else if (minor >= '3.12') t.match(r.stderr, FORK_WARNING, "CPython's warning about the app's own thread is left as it is");
}

for (const [i, minor] of minors.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  for (const method of ['fork', 'forkserver', 'spawn']) {
    for (const ending of ['with', 'join']) {
      const how = ending === 'with' ? 'the with block (terminate: SIGTERM to the workers)' : 'close() + join()';
      t.test(`CPython ${minor}: multiprocessing Pool(2), start method ${method}, ended by ${how}`, (t) => poolCase(t, venv, method, ending));
    }
  }
  t.test(`CPython ${minor}: the app calls os.fork() after working; the child ends with sys.exit(0)`, (t) => forkCase(t, venv, minor, false));
  t.test(`CPython ${minor}: the same with a thread of the app's own running at the fork`, (t) => forkCase(t, venv, minor, true));
}
