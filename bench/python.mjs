#!/usr/bin/env node
// Python payload benchmark: the same FastAPI app under uvicorn (bench/apps/fastapi_app.py, its own
// cached venv with fastapi + uvicorn + httpx, no OpenTelemetry) started three ways, in the same run,
// alternating rounds, medians:
//   none      no instrumentation
//   ours      PYTHONPATH=dist/preload/python (what the webhook injects)
//   official  opentelemetry-distro + opentelemetry-exporter-otlp-proto-http + the same
//             instrumentations at the same versions, `pip install --target` into one folder, started
//             the way the OpenTelemetry Operator's Python image does it:
//             PYTHONPATH=<dir>/opentelemetry/instrumentation/auto_instrumentation:<dir>
// Measures: time from spawn to the first served request, RSS after it; payload bytes and files (ours:
// every version in dist/preload/python; official: its folder per version, and summed over the same
// versions); requests/s while exporting to a local OTLP receiver (test/preload/receiver.mjs),
// a fixed number of requests per run (autocannon). Prints ratios and whether each goal holds.
// Env: PYTHONS (minors to time, default "3.13,3.10"), ROUNDS (startup rounds, default 7),
//      RPS_ROUNDS (default 2), RPS_REQUESTS (requests per run, default 4000), SKIP_RPS=1.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { findInterpreters, MINORS } from '../scripts/build-preload-python.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const RPS_ROUNDS = Number(process.env.RPS_ROUNDS ?? 2);
const RPS_REQUESTS = Number(process.env.RPS_REQUESTS ?? 4000);
const TIMED = (process.env.PYTHONS ?? '3.13,3.10').split(',').map((s) => s.trim()).filter(Boolean);
const ours = join(root, 'dist/preload/python');
const cache = join(root, '.cache', 'bench-python');
const APP_DIR = join(root, 'bench/apps');
// The app's own dependencies (what the test apps pin too: FastAPI before it depended on opentelemetry-api).
const APP_PINS = ['fastapi==0.140.0', 'uvicorn==0.54.0', 'httpx==0.28.1'];
const cpTag = (minor) => `cp${minor.replace('.', '')}`;
const sha = (s) => createHash('sha256').update(s).digest('hex').slice(0, 12);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : String(n));

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_CACHE_DIR: join(root, '.cache', 'pip') }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what}: ${cmd} ${args.join(' ')} exited ${r.status}\n${(r.stdout + r.stderr).slice(-3000)}`);
  return r.stdout;
}

/** A directory built once per key: build(tmpDir) fills it, then it is renamed into place. */
function cached(dir, build) {
  if (existsSync(join(dir, '.done'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  build(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  mkdirSync(join(dir, '.done'));
  return dir;
}

function appVenv(py) {
  const dir = join(cache, `app-${cpTag(py.minor)}-${sha(APP_PINS.join(' ') + py.full)}`);
  // A venv cannot be moved after creation (absolute paths): create it in place.
  if (!existsSync(join(dir, '.done'))) {
    rmSync(dir, { recursive: true, force: true });
    run(py.python, ['-m', 'venv', dir], 'app venv');
    run(join(dir, 'bin/python'), ['-m', 'pip', 'install', '--quiet', '--only-binary=:all:', ...APP_PINS], 'app venv');
    mkdirSync(join(dir, '.done'));
  }
  return join(dir, 'bin/python');
}

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

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

function get(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
    req.end();
  });
}

function startReceiver() {
  const child = spawn(process.execPath, [join(root, 'test/preload/receiver.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  /** Stops it; resolves with its last report ({ requests, errors, … }: export requests it received). */
  const close = () => new Promise((resolve) => {
    child.once('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}')));
    child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, close, url: `http://127.0.0.1:${JSON.parse(String(d).split('\n')[0]).port}` })));
}

function modeEnv(mode, receiverUrl, officialPath) {
  const env = {
    ...process.env, OTEL_SERVICE_NAME: 'bench-python', OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp', OTEL_PROPAGATORS: 'tracecontext,baggage',
    OTEL_RESOURCE_ATTRIBUTES: 'k8s.namespace.name=bench,k8s.pod.name=bench-0,k8s.container.name=app',
    // The official route exports logs only with this switch; on for both, so both do the same work.
    OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED: 'true',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  delete env.PYTHONPATH;
  if (mode === 'ours') env.PYTHONPATH = ours;
  if (mode === 'official') env.PYTHONPATH = `${join(officialPath, 'opentelemetry/instrumentation/auto_instrumentation')}:${officialPath}`;
  return env;
}

/** Spawns uvicorn, polls GET / until 200: ms from spawn, RSS (KiB → MB) at that moment. */
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
    if ((await get(port)) === 200) {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN);
      return { child, port, ms, rssMB: kb / 1024, stderr: () => err };
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
  const res = Object.fromEntries(modes.map((m) => [m, { ms: [], rss: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of r % 2 ? [...modes].reverse() : modes) {
      const a = await startApp(python, modeEnv(m, receiverUrl, official));
      res[m].ms.push(a.ms); res[m].rss.push(a.rssMB);
      const said = a.stderr().trim();
      if (r === 0 && said !== '') console.log(`         (${m} printed on stderr at start: ${said.split('\n').slice(-3).join(' | ').slice(0, 400)})`);
      await stop(a.child);
    }
  }
  return Object.fromEntries(modes.map((m) => [m, { ms: median(res[m].ms), rssMB: median(res[m].rss) }]));
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

const goal = (ok) => (ok ? 'goal met' : 'GOAL MISSED');

async function main() {
  if (!existsSync(join(ours, 'sitecustomize.py'))) run(process.execPath, [join(root, 'scripts/build-preload.mjs'), '--quiet'], 'build:preload');
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
      const python = appVenv(py);
      const off = official.get(minor);
      const s = await startup(python, receiver.url, off);
      for (const m of Object.keys(s)) console.log(`startup  ${minor} ${m.padEnd(9)} ${fmt(s[m].ms).padStart(5)} ms  RSS ${fmt(s[m].rssMB, 1)} MB`);
      const addMs = (m) => s[m].ms - s.none.ms; const addRss = (m) => s[m].rssMB - s.none.rssMB;
      const msRatio = addMs('ours') / addMs('official'); const rssRatio = addRss('ours') / addRss('official');
      console.log(`         ${minor} added startup: ours ${fmt(addMs('ours'))} ms, official ${fmt(addMs('official'))} ms, ratio ${fmt(msRatio, 2)} (${goal(msRatio <= 1 / 3)}: <= 0.33)`);
      console.log(`         ${minor} added RSS: ours ${fmt(addRss('ours'), 1)} MB, official ${fmt(addRss('official'), 1)} MB, ratio ${fmt(rssRatio, 2)} (${goal(rssRatio <= 0.5)}: <= 0.5)`);
      if (process.env.SKIP_RPS === '1') continue;
      const { rps: r, exports } = await rps(python, off);
      console.log(`req/s    ${minor} none ${fmt(r.none)}, ours ${fmt(r.ours)}, official ${fmt(r.official)}; ours/official ${fmt(r.ours / r.official, 2)} (${goal(r.ours >= r.official)}: >= 1), ours/none ${fmt(r.ours / r.none, 2)}`);
      console.log(`         ${minor} OTLP export requests received per run: ${Object.entries(exports).map(([m, v]) => `${m} ${v.join('/')}`).join(', ')}`);
    }
  } finally {
    await receiver.close();
  }
}

await main();
