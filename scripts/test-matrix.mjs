#!/usr/bin/env node
// Runs test files under every supported Node line, a bounded number of lines at a time, and ends
// with tap's "# { total, pass, fail }" line summed over the lines (what scripts/test-all.mjs counts).
//
//   node scripts/test-matrix.mjs node      the Node payload's tests (src/runtimes/node/test): apps under
//                                          Node 18, 20, 22, 24, 26 (tap itself runs on the project's Node;
//                                          OTEL_INJECTOR_TEST_NODE names the app's)
//   node scripts/test-matrix.mjs webhook   tap and the webhook processes under Node 24, 22, 26
//
//   MATRIX_LINES=22,24   only these lines
//   MATRIX_JOBS=N        lines at a time (default: 2 for node, whose tests mostly wait on timers and
//                        I/O; 1 for webhook, whose tests are CPU-bound: TLS, certificate generation)
//   MATRIX_TIMEOUT=S     tap's per-file timeout (default 900 s: a loaded 2-core machine is slow)
// The binaries come from scripts/node-lines.mjs (npm registry, cached under .cache/node-lines).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_LINES, PRELOAD_LINES, WEBHOOK_LINES, nodeBinary } from './node-lines.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TAP = join(ROOT, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');

// Node payload: every test file in its folder starts apps on every line, except the in-process unit tests of
// the payload's own modules and the one-release check (old-node, which fetches its own binary): those run once.
const NODE_TESTS = join(ROOT, 'src', 'runtimes', 'node', 'test');
const ONCE = new Set(['config.test.ts', 'exitflush.test.ts', 'old-node.test.ts']);
const nodeTests = readdirSync(NODE_TESTS).filter((f) => f.endsWith('.test.ts')).sort();
const PRELOAD_EVERY_LINE = nodeTests.filter((f) => !ONCE.has(f)).map((f) => `src/runtimes/node/test/${f}`);
const PRELOAD_ONCE = nodeTests.filter((f) => ONCE.has(f)).map((f) => `src/runtimes/node/test/${f}`);
const WEBHOOK_FILES = ['test/server/app.test.ts', 'test/server/process.test.ts'];

function plan(kind, lines) {
  if (kind === 'node') {
    return [
      ...lines.map((line) => ({ label: `node payload, apps on Node ${NODE_LINES[line]}`, node: process.execPath, files: PRELOAD_EVERY_LINE, env: { OTEL_INJECTOR_TEST_NODE: nodeBinary(line) } })),
      { label: 'node payload, once', node: process.execPath, files: PRELOAD_ONCE, env: {} },
    ];
  }
  if (kind === 'webhook') {
    return lines.map((line) => ({ label: `webhook on Node ${NODE_LINES[line]}`, node: nodeBinary(line), files: WEBHOOK_FILES, env: {} }));
  }
  throw new Error(`usage: test-matrix.mjs node|webhook (got ${kind})`);
}

function runOne(job) {
  return new Promise((resolve) => {
    const started = Date.now();
    // --jobs=1: the lines already run in parallel; timing checks (SIGTERM bounds) stay meaningful on 2 cores.
    const child = spawn(job.node, [TAP, '--jobs=1', `--timeout=${TIMEOUT}`, ...job.files], { cwd: ROOT, env: { ...process.env, ...job.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve({ ...job, code, out, seconds: (Date.now() - started) / 1000 }));
  });
}

function counts(out) {
  const m = [...out.matchAll(/^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?.*\}$/gm)].at(-1);
  return m === undefined ? undefined : { total: Number(m[1]), pass: Number(m[2]), fail: Number(m[3] ?? 0) };
}

const kind = process.argv[2];
const defaults = kind === 'webhook' ? WEBHOOK_LINES : PRELOAD_LINES;
const lines = process.env.MATRIX_LINES ? process.env.MATRIX_LINES.split(',').map((l) => l.trim()) : [...defaults];
const jobs = Math.max(1, Number(process.env.MATRIX_JOBS ?? (kind === 'webhook' ? 1 : 2)));
const TIMEOUT = Number(process.env.MATRIX_TIMEOUT ?? 900);
const started = Date.now();
const queue = plan(kind, lines); // fetches missing binaries first (once; then cached)
const results = [];
await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
  for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
    const r = await runOne(job);
    process.stdout.write(`\n=== ${r.label}: ${r.files.join(' ')}\n${r.out}`);
    results.push(r);
  }
}));

let total = 0;
let pass = 0;
let fail = 0;
console.log(`\n=== ${kind} matrix (${jobs} at a time)`);
for (const r of results) {
  const c = counts(r.out) ?? { total: 1, pass: 0, fail: 1 };
  if (r.code !== 0 && c.fail === 0) { c.fail = 1; c.total += 1; }
  total += c.total;
  pass += c.pass;
  fail += c.fail;
  console.log(`${r.label}: ${c.pass} passed, ${c.fail} failed, exit ${r.code}, ${r.seconds.toFixed(0)} s`);
}
console.log(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`# { total: ${total}, pass: ${pass}${fail > 0 ? `, fail: ${fail}` : ''} }`);
process.exit(fail === 0 ? 0 : 1);
