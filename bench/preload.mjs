#!/usr/bin/env node
// Preload benchmark: startup (spawn → listening) and RSS after start, payload (bytes, files), and
// requests/s while exporting to a local OTLP receiver, for no preload, ours and the official
// @opentelemetry/auto-instrumentations-node/register, in the same run, alternating rounds, medians.
// Env: ROUNDS (startup rounds, default 9), RPS_ROUNDS (default 2), RPS_SECONDS (default 5).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, lstatSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const RPS_ROUNDS = Number(process.env.RPS_ROUNDS ?? 2);
const RPS_SECONDS = Number(process.env.RPS_SECONDS ?? 5);
const ours = join(root, 'dist/preload/register.cjs');
const autoDir = findPackage(root, '@opentelemetry/auto-instrumentations-node');
const official = join(autoDir, 'build/src/register.js');
const APPS = { hello: join(root, 'test/preload/apps/hello.cjs'), express: join(root, 'test/preload/apps/express-app.cjs') };

if (!existsSync(ours)) spawnSync(process.execPath, [join(root, 'scripts/build-preload.mjs'), '--quiet'], { stdio: 'inherit' });

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

function startReceiver() {
  const child = spawn(process.execPath, [join(root, 'test/preload/receiver.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, url: `http://127.0.0.1:${JSON.parse(String(d).split('\n')[0]).port}` })));
}

function modeEnv(mode, receiverUrl, extra = {}) {
  const env = {
    ...process.env, PORT: '0', OTEL_SERVICE_NAME: 'bench', OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_PROPAGATORS: 'tracecontext,baggage', OTEL_RESOURCE_ATTRIBUTES: 'k8s.namespace.name=bench,k8s.pod.name=bench-0,k8s.container.name=app',
    // Local detectors only for both: the official default also probes cloud metadata endpoints over the network.
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance,container',
    ...extra,
  };
  delete env.NODE_OPTIONS;
  if (mode === 'ours' || mode.startsWith('ours-')) env.NODE_OPTIONS = `--require ${ours}`;
  if (mode === 'official') env.NODE_OPTIONS = `--require ${official}`;
  return env;
}

function startApp(app, env) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [app], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`app exited ${code}: ${err}`)));
    child.stdout.once('data', (d) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const info = JSON.parse(String(d).split('\n')[0]);
      resolve({ child, ms, rss: info.rss, port: info.port });
    });
  });
}

function stop(child) {
  return new Promise((resolve) => { child.removeAllListeners('exit'); child.once('exit', resolve); child.kill('SIGKILL'); });
}

async function startup(receiverUrl) {
  const modes = ['none', 'ours', 'official'];
  const res = Object.fromEntries(modes.map((m) => [m, { ms: [], rss: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of r % 2 ? [...modes].reverse() : modes) {
      const a = await startApp(APPS.hello, modeEnv(m, receiverUrl));
      res[m].ms.push(a.ms); res[m].rss.push(a.rss);
      await stop(a.child);
    }
  }
  return Object.fromEntries(modes.map((m) => [m, { ms: median(res[m].ms), rssMB: median(res[m].rss) / 2 ** 20 }]));
}

function tree(dir, skipNodeModules) {
  let bytes = 0; let files = 0;
  for (const name of readdirSync(dir)) {
    if (skipNodeModules && name === 'node_modules') continue;
    const p = join(dir, name); const st = lstatSync(p);
    if (st.isDirectory()) { const t = tree(p, false); bytes += t.bytes; files += t.files; } else { bytes += st.size; files += 1; }
  }
  return { bytes, files };
}

function findPackage(from, name) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The installed tree of a package: it and every transitive dependency, each package directory once. */
function installedTree(pkgDir) {
  const seen = new Set(); const queue = [pkgDir]; let bytes = 0; let files = 0;
  while (queue.length > 0) {
    const dir = queue.pop();
    if (seen.has(dir)) continue;
    seen.add(dir);
    const t = tree(dir, true); bytes += t.bytes; files += t.files;
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) {
      const found = findPackage(dir, dep);
      if (found) queue.push(found);
    }
  }
  return { bytes, files, packages: seen.size };
}

async function rps(app, mode, receiverUrl, extra, path) {
  const a = await startApp(app, modeEnv(mode, receiverUrl, extra));
  // warm-up, then measure
  await autocannon({ url: `http://127.0.0.1:${a.port}${path}`, connections: 10, duration: 1 });
  const r = await autocannon({ url: `http://127.0.0.1:${a.port}${path}`, connections: 10, duration: RPS_SECONDS });
  await stop(a.child);
  return r.requests.average;
}

const RPS_MODES = {
  none: {}, ours: {}, official: {},
  'ours-sampled-10%': { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  'ours-no-traces': { OTEL_TRACES_EXPORTER: 'none' },
};

async function throughput(receiverUrl) {
  const out = {};
  for (const [appName, path] of [['hello', '/'], ['express', '/hello']]) {
    const acc = Object.fromEntries(Object.keys(RPS_MODES).map((m) => [m, []]));
    for (let r = 0; r < RPS_ROUNDS; r++) {
      const order = r % 2 ? Object.keys(RPS_MODES).reverse() : Object.keys(RPS_MODES);
      for (const m of order) acc[m].push(await rps(APPS[appName], m, receiverUrl, RPS_MODES[m], path));
    }
    out[appName] = Object.fromEntries(Object.entries(acc).map(([m, v]) => [m, median(v)]));
  }
  return out;
}

const fmt = (n, d = 0) => n.toFixed(d);
const receiver = await startReceiver();
try {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.versions.node}`;
  const autoVersion = JSON.parse(readFileSync(join(autoDir, 'package.json'), 'utf8')).version;
  console.log(`machine: ${machine}; auto-instrumentations-node ${autoVersion}; ${ROUNDS} startup rounds, ${RPS_ROUNDS}×${RPS_SECONDS}s rps rounds`);
  const ourPayload = tree(dirname(ours), false);
  const offPayload = installedTree(autoDir);
  console.log(`payload  ours: ${fmt(ourPayload.bytes / 1e6, 2)} MB in ${ourPayload.files} files; official installed tree: ${fmt(offPayload.bytes / 1e6, 1)} MB in ${offPayload.files} files (${offPayload.packages} packages)`);
  console.log(`         ratio: ${fmt(offPayload.bytes / ourPayload.bytes, 1)}x fewer bytes, ${fmt(offPayload.files / ourPayload.files, 0)}x fewer files`);
  const s = await startup(receiver.url);
  for (const m of Object.keys(s)) console.log(`startup  ${m.padEnd(9)} ${fmt(s[m].ms).padStart(5)} ms  RSS ${fmt(s[m].rssMB, 1)} MB`);
  const addMs = (m) => s[m].ms - s.none.ms; const addRss = (m) => s[m].rssMB - s.none.rssMB;
  console.log(`         added startup: ours ${fmt(addMs('ours'))} ms vs official ${fmt(addMs('official'))} ms (ratio ${fmt(addMs('ours') / addMs('official'), 2)}); added RSS: ours ${fmt(addRss('ours'), 1)} MB vs official ${fmt(addRss('official'), 1)} MB (ratio ${fmt(addRss('ours') / addRss('official'), 2)})`);
  console.log(`         startup vs none: ours ${fmt(s.ours.ms / s.none.ms, 2)}x, official ${fmt(s.official.ms / s.none.ms, 2)}x`);
  if (process.env.SKIP_RPS !== '1') {
    const t = await throughput(receiver.url);
    for (const [app, r] of Object.entries(t)) {
      console.log(`req/s    ${app.padEnd(8)} ${Object.entries(r).map(([m, v]) => `${m} ${fmt(v)}`).join(', ')}`);
      console.log(`         ${app.padEnd(8)} ours/none ${fmt(r.ours / r.none, 2)}, ours/official ${fmt(r.ours / r.official, 2)}, official/none ${fmt(r.official / r.none, 2)}`);
    }
  }
} finally {
  receiver.child.kill('SIGTERM');
}
