// The Python benchmark's pre-fork part (issue 19): the same FastAPI app (bench/apps/fastapi_app.py)
// served by gunicorn with two uvicorn workers (`-k uvicorn_worker.UvicornWorker -w 2`, its own cached
// venv: the app's pins + gunicorn + uvicorn-worker), none / ours / official as in bench/python.mjs,
// alternating rounds, medians. Two figures:
//   worker boot   per worker, from the master's pre_fork hook (bench/apps/gunicorn_bench.py: before
//                 os.fork(), so every fork hook of ours and the SDK's counts) to the first request that
//                 worker answered (polled from 4 fresh connections every 5 ms, each answer names its
//                 pid); and the worker's CPU time at that moment (/proc/<pid>/stat: a forked child
//                 starts at 0). Goal: ours adds <= 50 ms per worker to none.
//   CPU/request   the workers' CPU time (utime + stime, all threads) over a bounded load (autocannon,
//                 10 connections, loopback) plus 5.5 s after it (the batch span processor's default 5 s
//                 delay: the last batch's export is counted), divided by the requests answered; each run
//                 exports to its own receiver (spans received printed). Goal: ours <= official.
// Env: GUNICORN_ROUNDS (boot rounds, default 5), GUNICORN_CPU_ROUNDS (default 2; 0: boot only),
//      GUNICORN_REQUESTS (per load run, default 2000), GUNICORN_RATE (requests/s, default 250),
//      GUNICORN_WORKERS (default 2).
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { APP_DIR, MODES, cpuMsOf, fmt, freePort, get, goal, median, modeEnv, order, sleep, startReceiver } from './python-support.mjs';

export const GUNICORN_PINS = ['gunicorn==27.0.1', 'uvicorn-worker==0.4.0'];
const WORKERS = Number(process.env.GUNICORN_WORKERS ?? 2);
const BOOT_ROUNDS = Number(process.env.GUNICORN_ROUNDS ?? 5);
const CPU_ROUNDS = Number(process.env.GUNICORN_CPU_ROUNDS ?? 2);
const REQUESTS = Number(process.env.GUNICORN_REQUESTS ?? 2000);
const RATE = Number(process.env.GUNICORN_RATE ?? 250);
const SETTLE_MS = 5500;
const BOOT_BUDGET_MS = 60_000;
const now = () => performance.timeOrigin + performance.now(); // epoch ms, as Python's time.time() * 1000
const live = new Set(); // gunicorn process groups still running: killed if the bench ends early
process.on('exit', () => { for (const pid of live) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(130));

/** Reads the hook lines: age -> pre_fork time (epoch ms), age -> pid, age -> post_fork time. */
function forkLines(stream) {
  const preFork = new Map(); const pidOf = new Map(); const postFork = new Map();
  let buf = ''; let text = '';
  stream.on('data', (d) => {
    text += d; buf += d;
    const lines = buf.split('\n'); buf = lines.pop() ?? '';
    for (const l of lines) {
      let m = /^bench-prefork (\d+) ([\d.]+)$/.exec(l);
      if (m) preFork.set(m[1], Number(m[2]) * 1000);
      m = /^bench-fork (\d+) (\d+) ([\d.]+)$/.exec(l);
      if (m) { pidOf.set(m[1], Number(m[2])); postFork.set(m[1], Number(m[3]) * 1000); }
    }
  });
  return { preFork, pidOf, postFork, text: () => text };
}

/** Starts gunicorn (its own process group) and polls until every worker answered. Per worker pid:
 * ms from its pre_fork to its first answer, its CPU ms then; and ms from spawn to all serving. */
async function startGunicorn(python, env) {
  const port = await freePort();
  const t0 = now();
  const child = spawn(python, ['-m', 'gunicorn', '-c', 'gunicorn_bench.py', '-w', String(WORKERS), '-k', 'uvicorn_worker.UvicornWorker',
    '-b', `127.0.0.1:${port}`, '--log-level', 'warning', 'fastapi_app:app'], { cwd: APP_DIR, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  live.add(child.pid);
  child.once('exit', () => live.delete(child.pid));
  const hooks = forkLines(child.stderr);
  let exited = false;
  child.once('exit', () => { exited = true; });
  const served = new Map(); // pid -> { at, cpuMs }
  const g = { child, port, hooks, served };
  while (served.size < WORKERS && now() - t0 < BOOT_BUDGET_MS && !exited) {
    const answers = await Promise.all([0, 1, 2, 3].map(() => get(port)));
    const at = now();
    for (const a of answers) {
      if (a.status !== 200) continue;
      const pid = Number(JSON.parse(a.body).pid);
      if (!served.has(pid)) served.set(pid, { at, cpuMs: cpuMsOf(pid) });
    }
    await sleep(5);
  }
  if (served.size < WORKERS) {
    await stopGunicorn(g);
    throw new Error(`gunicorn: ${served.size} of ${WORKERS} workers served within ${BOOT_BUDGET_MS} ms${exited ? ' (master exited)' : ''}: ${hooks.text().slice(-2000)}`);
  }
  const workers = [...hooks.pidOf].filter(([, pid]) => served.has(pid)).map(([age, pid]) => ({
    pid, bootMs: served.get(pid).at - hooks.preFork.get(age), forkMs: hooks.postFork.get(age) - hooks.preFork.get(age), cpuMs: served.get(pid).cpuMs,
  }));
  return { ...g, workers, allServingMs: Math.max(...[...served.values()].map((s) => s.at)) - t0 };
}

function stopGunicorn(g) {
  return new Promise((resolve) => {
    if (g.child.exitCode !== null || g.child.signalCode !== null) { resolve(); return; }
    g.child.once('exit', resolve);
    process.kill(-g.child.pid, 'SIGKILL'); // the master and its workers
  });
}

async function boot(python, receiverUrl, official) {
  const res = Object.fromEntries(MODES.map((m) => [m, { ms: [], fork: [], cpu: [], all: [] }]));
  for (let r = 0; r < BOOT_ROUNDS; r++) {
    for (const m of order(r)) {
      const g = await startGunicorn(python, modeEnv(m, receiverUrl, official));
      if (g.workers.length !== WORKERS) throw new Error(`gunicorn ${m}: hook lines for ${g.workers.length} of ${WORKERS} serving workers: ${g.hooks.text().slice(-1000)}`);
      for (const w of g.workers) { res[m].ms.push(w.bootMs); res[m].fork.push(w.forkMs); res[m].cpu.push(w.cpuMs); }
      res[m].all.push(g.allServingMs);
      await stopGunicorn(g);
    }
  }
  return Object.fromEntries(MODES.map((m) => [m, { ms: median(res[m].ms), forkMs: median(res[m].fork), cpuMs: median(res[m].cpu), allMs: median(res[m].all), n: res[m].ms.length }]));
}

async function load(python, mode, official) {
  const receiver = await startReceiver();
  let g;
  try {
    g = await startGunicorn(python, modeEnv(mode, receiver.url, official));
    const url = `http://127.0.0.1:${g.port}/`;
    const cpu = () => g.workers.reduce((s, w) => s + cpuMsOf(w.pid), 0);
    await autocannon({ url, connections: 10, amount: 300 }); // warm-up
    const before = cpu();
    const out = await autocannon({ url, connections: 10, amount: REQUESTS, overallRate: RATE });
    await sleep(SETTLE_MS);
    const answered = out['2xx'];
    if (out.non2xx > 0 || out.errors > 0) console.log(`         (gunicorn ${mode}: ${out.non2xx} non-2xx, ${out.errors} errors)`);
    const dropped = g.hooks.text().split('\n').filter((l) => /queue is full|dropp/i.test(l));
    if (dropped.length > 0) console.log(`         (gunicorn ${mode}: ${dropped.length} line(s) about dropped telemetry: ${dropped[0].slice(0, 200)})`);
    return { usPerReq: ((cpu() - before) * 1000) / answered, rps: out.requests.average, answered };
  } finally {
    if (g !== undefined) await stopGunicorn(g);
    const got = await receiver.close();
    receivedExports[mode].push(`${got.requests ?? 0} (${got.spansTotal ?? 0} spans)`);
  }
}
const receivedExports = Object.fromEntries(MODES.map((m) => [m, []]));

/** Prints the boot and CPU/request figures for one minor (python: the gunicorn venv's interpreter). */
export async function gunicornBench(minor, python, receiverUrl, official) {
  const b = await boot(python, receiverUrl, official);
  for (const m of MODES) console.log(`gunicorn ${minor} ${m.padEnd(9)} worker boot ${fmt(b[m].ms).padStart(5)} ms (CPU ${fmt(b[m].cpuMs).padStart(4)} ms; of which the fork ${fmt(b[m].forkMs, 1)} ms), spawn -> every worker serving ${fmt(b[m].allMs)} ms (${b[m].n} workers)`);
  const add = (m, k) => b[m][k] - b.none[k];
  console.log(`         ${minor} added per worker boot: ours ${fmt(add('ours', 'ms'))} ms (CPU ${fmt(add('ours', 'cpuMs'))} ms), official ${fmt(add('official', 'ms'))} ms (CPU ${fmt(add('official', 'cpuMs'))} ms) (${goal(add('ours', 'ms') <= 50)}: ours <= 50 ms; by CPU: ${goal(add('ours', 'cpuMs') <= 50)})`);
  console.log(`         ${minor} added spawn -> every worker serving: ours ${fmt(add('ours', 'allMs'))} ms, official ${fmt(add('official', 'allMs'))} ms`);
  if (CPU_ROUNDS === 0) return { boot: b };
  const acc = Object.fromEntries(MODES.map((m) => [m, { us: [], rps: [] }]));
  for (const m of MODES) receivedExports[m].length = 0;
  for (let r = 0; r < CPU_ROUNDS; r++) {
    for (const m of order(r)) {
      const l = await load(python, m, official);
      acc[m].us.push(l.usPerReq); acc[m].rps.push(l.rps);
    }
  }
  const us = Object.fromEntries(MODES.map((m) => [m, median(acc[m].us)]));
  const rps = Object.fromEntries(MODES.map((m) => [m, median(acc[m].rps)]));
  console.log(`gunicorn ${minor} worker CPU per request (${CPU_ROUNDS}x${REQUESTS} requests, 10 connections): none ${fmt(us.none)} µs, ours ${fmt(us.ours)} µs, official ${fmt(us.official)} µs; ours/official ${fmt(us.ours / us.official, 2)} (${goal(us.ours <= us.official)}: <= 1); added: ours ${fmt(us.ours - us.none)} µs, official ${fmt(us.official - us.none)} µs`);
  console.log(`         ${minor} req/s none ${fmt(rps.none)}, ours ${fmt(rps.ours)}, official ${fmt(rps.official)}; OTLP export requests (spans) received per run: ${MODES.map((m) => `${m} ${receivedExports[m].join('/')}`).join(', ')}`);
  return { boot: b, us, rps };
}
