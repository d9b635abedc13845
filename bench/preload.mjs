#!/usr/bin/env node
// Preload benchmark: startup (spawn → listening) and RSS after start, payload (bytes, files), and
// requests/s while exporting to a local OTLP receiver, for no preload, ours and the official
// @opentelemetry/auto-instrumentations-node/register, in the same run, alternating rounds, medians;
// once per supported Node line (real binaries from npm, scripts/node-lines.mjs), ratios per line.
// Env: ROUNDS (startup rounds, default 9), RPS_ROUNDS (default 2), RPS_SECONDS (default 5),
// BENCH_NODE_LINES (default 18,20,22,24,26; the levers run on the webhook's line only), SKIP_RPS=1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, lstatSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { NODE_LINES, PRELOAD_LINES, WEBHOOK_LINE, nodeBinary } from '../scripts/node-lines.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const RPS_ROUNDS = Number(process.env.RPS_ROUNDS ?? 2);
const RPS_SECONDS = Number(process.env.RPS_SECONDS ?? 5);
const ours = join(root, 'dist/payload/node/register.cjs');
const autoDir = findPackage(root, '@opentelemetry/auto-instrumentations-node');
const official = join(autoDir, 'build/src/register.js');
const APPS = { hello: join(root, 'src/runtimes/node/test/apps/hello.cjs'), express: join(root, 'src/runtimes/node/test/apps/express-app.cjs'), esm: join(root, 'src/runtimes/node/test/apps/esm-app.mjs') };
const LINES = (process.env.BENCH_NODE_LINES ?? PRELOAD_LINES.join(',')).split(',').map((l) => l.trim());

if (!existsSync(ours)) spawnSync(process.execPath, [join(root, 'scripts/build-payload.mjs'), '--quiet'], { stdio: 'inherit' });

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

function startReceiver() {
  const child = spawn(process.execPath, [join(root, 'test/support/receiver.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
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

function startApp(node, app, env) {
  const t0 = process.hrtime.bigint();
  const child = spawn(node, [app], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function startup(node, receiverUrl, app = APPS.hello) {
  const modes = ['none', 'ours', 'official'];
  const res = Object.fromEntries(modes.map((m) => [m, { ms: [], rss: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of r % 2 ? [...modes].reverse() : modes) {
      const a = await startApp(node, app, modeEnv(m, receiverUrl));
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

async function rps(node, app, mode, receiverUrl, extra, path) {
  const a = await startApp(node, app, modeEnv(mode, receiverUrl, extra));
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

async function throughput(node, receiverUrl, levers) {
  const out = {};
  const modes = Object.keys(RPS_MODES).filter((m) => levers || ['none', 'ours', 'official'].includes(m));
  for (const [appName, path] of [['hello', '/'], ['express', '/hello']]) {
    const acc = Object.fromEntries(modes.map((m) => [m, []]));
    for (let r = 0; r < RPS_ROUNDS; r++) {
      const order = r % 2 ? [...modes].reverse() : modes;
      for (const m of order) acc[m].push(await rps(node, APPS[appName], m, receiverUrl, RPS_MODES[m], path));
    }
    out[appName] = Object.fromEntries(Object.entries(acc).map(([m, v]) => [m, median(v)]));
  }
  return out;
}

const fmt = (n, d = 0) => n.toFixed(d);

/** Startup, RSS and req/s under one Node line; returns the ratios for the summary. */
async function benchLine(line, receiverUrl) {
  const node = nodeBinary(line);
  const tag = `[node ${NODE_LINES[line]}]`;
  const s = await startup(node, receiverUrl);
  for (const m of Object.keys(s)) console.log(`${tag} startup ${m.padEnd(9)} ${fmt(s[m].ms).padStart(5)} ms  RSS ${fmt(s[m].rssMB, 1)} MB`);
  const addMs = (m) => s[m].ms - s.none.ms; const addRss = (m) => s[m].rssMB - s.none.rssMB;
  const row = { line: NODE_LINES[line], startup: addMs('ours') / addMs('official'), rss: addRss('ours') / addRss('official'), oursMs: s.ours.ms, officialMs: s.official.ms, noneMs: s.none.ms, oursRss: s.ours.rssMB, officialRss: s.official.rssMB, noneRss: s.none.rssMB };
  console.log(`${tag}         added startup: ours ${fmt(addMs('ours'))} ms vs official ${fmt(addMs('official'))} ms (ratio ${fmt(row.startup, 2)}); added RSS: ours ${fmt(addRss('ours'), 1)} MB vs official ${fmt(addRss('official'), 1)} MB (ratio ${fmt(row.rss, 2)})`);
  const esm = await startup(node, receiverUrl, APPS.esm);
  row.esmRss = esm.ours.rssMB - esm.none.rssMB; row.esmMs = esm.ours.ms - esm.none.ms;
  console.log(`${tag} ESM app (express, named node:http import): added startup ours ${fmt(row.esmMs)} ms, official ${fmt(esm.official.ms - esm.none.ms)} ms; added RSS ours ${fmt(row.esmRss, 1)} MB, official ${fmt(esm.official.rssMB - esm.none.rssMB, 1)} MB`);
  if (process.env.SKIP_RPS !== '1') {
    const t = await throughput(node, receiverUrl, line === WEBHOOK_LINE);
    for (const [app, r] of Object.entries(t)) {
      console.log(`${tag} req/s ${app.padEnd(8)} ${Object.entries(r).map(([m, v]) => `${m} ${fmt(v)}`).join(', ')}`);
      console.log(`${tag}       ${app.padEnd(8)} ours/none ${fmt(r.ours / r.none, 2)}, ours/official ${fmt(r.ours / r.official, 2)}, official/none ${fmt(r.official / r.none, 2)}`);
      row[app] = { ours: r.ours, none: r.none, official: r.official };
    }
  }
  return row;
}

const receiver = await startReceiver();
try {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB`;
  const autoVersion = JSON.parse(readFileSync(join(autoDir, 'package.json'), 'utf8')).version;
  console.log(`machine: ${machine}; auto-instrumentations-node ${autoVersion}; ${ROUNDS} startup rounds, ${RPS_ROUNDS}×${RPS_SECONDS}s rps rounds; Node lines ${LINES.map((l) => NODE_LINES[l]).join(', ')}`);
  const ourPayload = tree(dirname(ours), false);
  const offPayload = installedTree(autoDir);
  console.log(`payload  ours: ${fmt(ourPayload.bytes / 1e6, 2)} MB in ${ourPayload.files} files; official installed tree: ${fmt(offPayload.bytes / 1e6, 1)} MB in ${offPayload.files} files (${offPayload.packages} packages)`);
  console.log(`         ratio: ${fmt(offPayload.bytes / ourPayload.bytes, 1)}x fewer bytes, ${fmt(offPayload.files / ourPayload.files, 0)}x fewer files`);
  const rows = [];
  for (const line of LINES) rows.push(await benchLine(line, receiver.url));
  console.log('\nper Node line (ours vs official: added startup ratio, added RSS ratio; req/s ours/official and ours/none)');
  console.log('| Node | listening none / ours / official (ms) | RSS none / ours / official (MB) | added startup ours/official | added RSS ours/official | ESM app: added ms, MB | req/s ours/official http, express | req/s ours/none http, express |');
  console.log('|---|---|---|---|---|---|---|---|');
  const r2 = (x, other) => (x === undefined ? 'n/a' : fmt(x.ours / x[other], 2));
  for (const r of rows) {
    console.log(`| ${r.line} | ${fmt(r.noneMs)} / ${fmt(r.oursMs)} / ${fmt(r.officialMs)} | ${fmt(r.noneRss, 1)} / ${fmt(r.oursRss, 1)} / ${fmt(r.officialRss, 1)} | ${fmt(r.startup, 2)} | ${fmt(r.rss, 2)} | ${fmt(r.esmMs)}, ${fmt(r.esmRss, 1)} | ${r2(r.hello, 'official')}, ${r2(r.express, 'official')} | ${r2(r.hello, 'none')}, ${r2(r.express, 'none')} |`);
  }
} finally {
  receiver.child.kill('SIGTERM');
}
