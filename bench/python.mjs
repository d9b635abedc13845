#!/usr/bin/env node
// Python payload benchmark: the same FastAPI app under uvicorn (bench/apps/fastapi_app.py, its own
// cached venv with fastapi + uvicorn + httpx, no OpenTelemetry) started three ways, in the same run,
// alternating rounds, medians:
//   none      no instrumentation
//   ours      PYTHONPATH=dist/payload/python (what the webhook injects)
//   official  opentelemetry-distro + opentelemetry-exporter-otlp-proto-http + the same
//             instrumentations at the same versions, `pip install --target` into one folder, started
//             the way the OpenTelemetry Operator's Python image does it:
//             PYTHONPATH=<dir>/opentelemetry/instrumentation/auto_instrumentation:<dir>
// Measures: time from spawn to the first served request, RSS after it; payload bytes and files (ours:
// every version in dist/payload/python; official: its folder per version, and summed over the same
// versions); requests/s while exporting to a local OTLP receiver (test/support/receiver.mjs),
// a fixed number of requests per run (autocannon). Prints ratios and whether each goal holds.
// Then the same app served by gunicorn with two uvicorn workers: per-worker boot time and the workers' CPU
// per request (bench/lib/python-gunicorn.mjs).
// Env: PYTHONS (minors to time, default "3.13,3.10"), ROUNDS (startup rounds, default 7),
//      RPS_ROUNDS (default 2), RPS_REQUESTS (requests per run, default 4000), SKIP_RPS=1,
//      GUNICORN=skip|only (the gunicorn part: left out, or alone), GUNICORN_* (bench/lib/python-gunicorn.mjs).
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { findInterpreters, MINORS } from '../src/runtimes/python/build.mjs';
import { gunicornBench, GUNICORN_PINS } from './lib/python-gunicorn.mjs';
import {
  APP_DIR, cache, cached, cpTag, cpuMsOf, fmt, freePort, get, goal, median, modeEnv, ours, root, run, sha, startReceiver, venv,
} from './lib/python-support.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const RPS_ROUNDS = Number(process.env.RPS_ROUNDS ?? 2);
const RPS_REQUESTS = Number(process.env.RPS_REQUESTS ?? 4000);
const GUNICORN = process.env.GUNICORN ?? 'run'; // 'skip' or 'only'
const TIMED = (process.env.PYTHONS ?? '3.13,3.10').split(',').map((s) => s.trim()).filter(Boolean);
// The app's own dependencies (what the test apps pin too: FastAPI before it depended on opentelemetry-api).
const APP_PINS = ['fastapi==0.140.0', 'uvicorn==0.54.0', 'httpx==0.28.1'];
const appVenv = (py) => venv(py, 'app', APP_PINS);

/** The official layout for one version, pinned to the versions our manifest carries. */
function officialDir(py) {
  const manifest = JSON.parse(readFileSync(join(ours, 'lib', `${cpTag(py.minor)}.json`), 'utf8'));
  const d = manifest.dists;
  const pins = [
    `opentelemetry-distro==${d['opentelemetry-instrumentation'].version}`,
    `opentelemetry-exporter-otlp-proto-http==${d['opentelemetry-sdk'].version}`,
    ...Object.values(manifest.instrumentations).map((i) => `${i.dist}==${d[i.dist].version}`),
  ].sort();
  const dir = join(cache, `official-${cpTag(py.minor)}-${sha(pins.join(' ') + py.full)}`);
  return cached(dir, (tmp) => run(py.python, ['-m', 'pip', 'install', '--quiet', '--target', tmp, '--only-binary=:all:', ...[...new Set(pins)]], 'official layout'));
}

function tree(dir) {
  let bytes = 0; let files = 0;
  for (const name of readdirSync(dir)) {
    if (name === '.done') continue;
    const p = join(dir, name); const st = lstatSync(p);
    if (st.isDirectory()) { const t = tree(p); bytes += t.bytes; files += t.files; } else { bytes += st.size; files += 1; }
  }
  return { bytes, files };
}

/** Spawns uvicorn, polls GET / until 200: ms from spawn, CPU ms, RSS (KiB → MB) at that moment. */
async function startApp(python, env) {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(python, ['-m', 'uvicorn', 'fastapi_app:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning', '--no-access-log'],
    { cwd: APP_DIR, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  let exited = false;
  child.once('exit', () => { exited = true; });
  for (let i = 0; i < 3000; i++) {
    if (exited) throw new Error(`app exited: ${err.slice(-2000)}`);
    if ((await get(port)).status === 200) {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN);
      return { child, port, ms, cpuMs: cpuMsOf(child.pid), rssMB: kb / 1024, stderr: () => err };
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  throw new Error(`app did not serve within the polling budget: ${err.slice(-2000)}`);
}

function stop(child) {
  return new Promise((resolve) => { if (child.exitCode !== null) { resolve(); return; } child.once('exit', resolve); child.kill('SIGKILL'); });
}

async function startup(python, receiverUrl, official) {
  const modes = ['none', 'ours', 'official'];
  const res = Object.fromEntries(modes.map((m) => [m, { ms: [], cpu: [], rss: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of r % 2 ? [...modes].reverse() : modes) {
      const a = await startApp(python, modeEnv(m, receiverUrl, official));
      res[m].ms.push(a.ms); res[m].cpu.push(a.cpuMs); res[m].rss.push(a.rssMB);
      const said = a.stderr().trim();
      if (r === 0 && said !== '') console.log(`         (${m} printed on stderr at start: ${said.split('\n').slice(-3).join(' | ').slice(0, 400)})`);
      await stop(a.child);
    }
  }
  return Object.fromEntries(modes.map((m) => [m, { ms: median(res[m].ms), cpuMs: median(res[m].cpu), rssMB: median(res[m].rss) }]));
}

/** req/s per mode (median of rounds); each run exports to its own receiver, whose count of export
 * requests proves the instrumented modes really exported while serving. */
async function rps(python, official) {
  const modes = ['none', 'ours', 'official'];
  const acc = Object.fromEntries(modes.map((m) => [m, []]));
  const exports = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < RPS_ROUNDS; r++) {
    for (const m of r % 2 ? [...modes].reverse() : modes) {
      const receiver = await startReceiver();
      const a = await startApp(python, modeEnv(m, receiver.url, official));
      const url = `http://127.0.0.1:${a.port}/`;
      await autocannon({ url, connections: 10, amount: 300 }); // warm-up
      const out = await autocannon({ url, connections: 10, amount: RPS_REQUESTS });
      acc[m].push(out.requests.average);
      await new Promise((res) => setTimeout(res, 1500)); // let a pending batch go out
      await stop(a.child);
      const got = await receiver.close();
      exports[m].push(got.requests ?? 0);
      if (out.non2xx > 0 || out.errors > 0) console.log(`         (${m}: ${out.non2xx} non-2xx, ${out.errors} errors)`);
    }
  }
  return { rps: Object.fromEntries(modes.map((m) => [m, median(acc[m])])), exports };
}

/** The single-process uvicorn figures for one minor: startup, RSS, requests/s. */
async function uvicornParts(minor, python, receiverUrl, off) {
  const s = await startup(python, receiverUrl, off);
  for (const m of Object.keys(s)) console.log(`startup  ${minor} ${m.padEnd(9)} ${fmt(s[m].ms).padStart(5)} ms (CPU ${fmt(s[m].cpuMs).padStart(4)} ms)  RSS ${fmt(s[m].rssMB, 1)} MB`);
  const addMs = (m) => s[m].ms - s.none.ms; const addCpu = (m) => s[m].cpuMs - s.none.cpuMs; const addRss = (m) => s[m].rssMB - s.none.rssMB;
  const msRatio = addMs('ours') / addMs('official'); const cpuRatio = addCpu('ours') / addCpu('official'); const rssRatio = addRss('ours') / addRss('official');
  console.log(`         ${minor} added startup: ours ${fmt(addMs('ours'))} ms, official ${fmt(addMs('official'))} ms, ratio ${fmt(msRatio, 2)} (${goal(msRatio <= 1 / 3)}: <= 0.33)`);
  console.log(`         ${minor} added CPU to the first request: ours ${fmt(addCpu('ours'))} ms, official ${fmt(addCpu('official'))} ms, ratio ${fmt(cpuRatio, 2)} (not load-dependent)`);
  console.log(`         ${minor} added RSS: ours ${fmt(addRss('ours'), 1)} MB, official ${fmt(addRss('official'), 1)} MB, ratio ${fmt(rssRatio, 2)} (${goal(rssRatio <= 0.5)}: <= 0.5)`);
  if (process.env.SKIP_RPS === '1') return;
  const { rps: r, exports } = await rps(python, off);
  console.log(`req/s    ${minor} none ${fmt(r.none)}, ours ${fmt(r.ours)}, official ${fmt(r.official)}; ours/official ${fmt(r.ours / r.official, 2)} (${goal(r.ours >= r.official)}: >= 1), ours/none ${fmt(r.ours / r.none, 2)}`);
  console.log(`         ${minor} OTLP export requests received per run: ${Object.entries(exports).map(([m, v]) => `${m} ${v.join('/')}`).join(', ')}`);
}

async function main() {
  if (!existsSync(join(ours, 'sitecustomize.py'))) run(process.execPath, [join(root, 'scripts/build-payload.mjs'), '--quiet'], 'build:payload');
  const built = MINORS.filter((m) => existsSync(join(ours, 'lib', `${cpTag(m)}.zip`)));
  const pythons = findInterpreters(built, { allowMissing: true, log: (l) => console.log(l) });
  const cpu = cpus()[0]?.model ?? 'cpu';
  console.log(`machine: ${cpus().length} × ${cpu}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, Linux ${release()}, Node ${process.versions.node}; ${ROUNDS} startup rounds, ${RPS_ROUNDS}×${RPS_REQUESTS} requests per mode for req/s`);

  // Payload: ours (every version) against the official layout (per version, and summed over the same versions).
  const ourTree = tree(ours);
  const official = new Map();
  for (const [minor, py] of pythons) official.set(minor, officialDir(py));
  const offTrees = [...official].map(([minor, dir]) => ({ minor, ...tree(dir) }));
  for (const o of offTrees) console.log(`payload  official ${o.minor}: ${fmt(o.bytes / 1e6, 1)} MB in ${o.files} files`);
  const offSum = offTrees.reduce((s, o) => ({ bytes: s.bytes + o.bytes, files: s.files + o.files }), { bytes: 0, files: 0 });
  const bytesRatio = offSum.bytes / ourTree.bytes; const filesRatio = offSum.files / ourTree.files;
  console.log(`payload  ours (${built.join(', ')}): ${fmt(ourTree.bytes / 1e6, 2)} MB in ${ourTree.files} files; official for the same ${offTrees.length} versions: ${fmt(offSum.bytes / 1e6, 1)} MB in ${offSum.files} files`);
  console.log(`         ${fmt(bytesRatio, 1)}x fewer bytes (${goal(bytesRatio >= 5)}: >= 5x), ${fmt(filesRatio, 0)}x fewer files (${goal(filesRatio >= 20)}: >= 20x)`);

  const receiver = await startReceiver();
  try {
    for (const minor of TIMED) {
      const py = pythons.get(minor);
      if (py === undefined) { console.log(`python ${minor}: no interpreter or no lib/${cpTag(minor)}.zip, skipped`); continue; }
      const off = official.get(minor);
      if (GUNICORN !== 'only') await uvicornParts(minor, appVenv(py), receiver.url, off);
      if (GUNICORN !== 'skip') await gunicornBench(minor, venv(py, 'gunicorn', [...APP_PINS, ...GUNICORN_PINS]), receiver.url, off);
    }
  } finally {
    await receiver.close();
  }
}

await main();
