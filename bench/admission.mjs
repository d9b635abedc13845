#!/usr/bin/env node
// Admission benchmark (issue 6): `npm run bench:admission`. Prints, in one run:
//  1. throughput and latency of POST /mutate over HTTPS, the webhook (`node dist/main.js`, as users run it)
//     against a bare fastify baseline, alternating rounds, at 1 and 64 connections; medians and ratios;
//  2. server time of one review for pods with 1..100 containers (in-process, CPU time);
//  3. RSS of the webhook after start, after a warm-up and after 100 000 reviews.
// Env: ROUNDS (default 3), BENCH_SECONDS per measurement (10), WARMUP_SECONDS (3), LOG_LEVEL (info, both servers),
// MEMORY_REVIEWS (100000), PROFILE=ours|baseline (only: profile that server under
// 64 connections with node --cpu-prof and print its hot spots), BREAKDOWN=1 (only: server CPU per review,
// layer by layer: baseline, +the webhook's answer, +the review, the webhook; see lib/breakdown-server.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPod, reviewBody } from './lib/fixture.mjs';
import { runLoad } from './lib/load.mjs';
import { measureMemory } from './lib/memory.mjs';
import { summariseProfile } from './lib/profile.mjs';
import { checkAnswer, printBreakdown, printRounds, printScale, printMemory, ms } from './lib/report.mjs';
import { countLines, startServer, stopServer } from './lib/servers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, '.cache', 'bench');
const certs = join(work, 'certs');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.WARMUP_SECONDS ?? 3);
const LOG_LEVEL = process.env.LOG_LEVEL ?? 'info';
const MEMORY_REVIEWS = Number(process.env.MEMORY_REVIEWS ?? 100_000);
const CONCURRENCY = [1, 64];

const SERVERS = {
  ours: { script: join(root, 'dist', 'main.js'), env: { LOG_LEVEL, SHUTDOWN_DRAIN_SECONDS: '0' } },
  baseline: { script: join(root, 'bench', 'lib', 'baseline-server.mjs'), env: { LOG_LEVEL } },
  '+answer': { script: join(root, 'bench', 'lib', 'breakdown-server.mjs'), env: { LOG_LEVEL, VARIANT: 'answer' } },
  '+review': { script: join(root, 'bench', 'lib', 'breakdown-server.mjs'), env: { LOG_LEVEL, VARIANT: 'review' } },
};

function prepare() {
  if (!existsSync(SERVERS.ours.script)) throw new Error('dist/main.js is missing: run "npm run build" first');
  mkdirSync(work, { recursive: true });
  if (!existsSync(join(certs, 'tls.key'))) {
    // The project's own issuer: the same RSA key type and size for the webhook and the baseline.
    const made = spawnSync(process.execPath, [join(root, 'scripts', 'certs.mjs'), '--out', certs], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error('could not issue the bench certificate');
  }
}

function header(body) {
  const cpu = cpus();
  const load = loadavg().map((value) => value.toFixed(2)).join(' ');
  console.log(`# otel-injector admission benchmark, ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average ${load}`);
  console.log(`load generator: autocannon in this process; servers: their own processes; LOG_LEVEL=${LOG_LEVEL} (webhook writes one line per review, to a file)`);
  console.log(`request: AdmissionReview of a Deployment pod, 2 containers x 10 env, ${Buffer.byteLength(body)} bytes`);
  console.log(`rounds: ${ROUNDS} alternating (ours, baseline, ...), each: fresh process, ${WARMUP_SECONDS} s warm-up at 64 connections, then ${CONCURRENCY.map((c) => `${SECONDS} s at ${c}`).join(', ')}\n`);
}

async function oneRound(name, body, round) {
  const logFile = join(work, `${name}.log`);
  const server = await startServer({ ...SERVERS[name], certs, logFile });
  try {
    if (round === 1) await checkAnswer(name, server, body);
    await runLoad({ port: server.port, body, connections: 64, seconds: WARMUP_SECONDS });
    const runs = [];
    for (const connections of CONCURRENCY) runs.push(await runLoad({ port: server.port, body, connections, seconds: SECONDS, pid: server.child.pid }));
    return runs;
  } finally {
    await stopServer(server);
    if (name === 'ours' && round === 1) console.log(`  webhook log: ${await countLines(logFile)} lines written in round 1`);
    rmSync(logFile, { force: true });
  }
}

async function throughput(body) {
  const results = { ours: [], baseline: [] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const name of ['ours', 'baseline']) {
      const runs = await oneRound(name, body, round);
      results[name].push(runs);
      console.log(`  round ${round} ${name.padEnd(8)} ${runs.map((r) => `c=${r.connections}: ${Math.round(r.reviewsPerSecond)}/s p50 ${ms(r.p50)} p99 ${ms(r.p99)} cpu ${Math.round(r.cpuUsPerReview)} us${r.failed > 0 ? ` FAILED ${r.failed}` : ''}`).join(' | ')}`);
    }
  }
  return results;
}

function scale() {
  const run = spawnSync(process.execPath, [join(root, 'bench', 'lib', 'scale.mjs')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`scale run failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

async function profile(name, body) {
  const dir = join(work, 'prof');
  rmSync(dir, { recursive: true, force: true });
  const server = await startServer({ ...SERVERS[name], certs, logFile: join(work, 'profile.log'), nodeArgs: ['--cpu-prof', '--cpu-prof-interval=250', `--cpu-prof-dir=${dir}`] });
  await runLoad({ port: server.port, body, connections: 64, seconds: WARMUP_SECONDS });
  const run = await runLoad({ port: server.port, body, connections: 64, seconds: SECONDS });
  await stopServer(server);
  const file = join(dir, readdirSync(dir)[0]);
  const summary = summariseProfile(file, root, 25);
  console.log(`profile of ${name} at 64 connections (${Math.round(run.reviewsPerSecond)}/s): ${file}, ${summary.samples} samples`);
  for (const [title, rows] of [['self', summary.self], ['inclusive', summary.inclusive]]) {
    console.log(`-- ${title} --`);
    for (const [name, share] of rows) console.log(`${(share * 100).toFixed(1).padStart(6)}%  ${name}`);
  }
}

/** Server CPU per review at 64 connections, layer by layer (baseline, +answer, +review, the webhook). */
async function breakdown(body) {
  const names = ['baseline', '+answer', '+review', 'ours'];
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const name of names) {
      const server = await startServer({ ...SERVERS[name], certs, logFile: join(work, 'breakdown.log') });
      await runLoad({ port: server.port, body, connections: 64, seconds: WARMUP_SECONDS });
      const run = await runLoad({ port: server.port, body, connections: 64, seconds: SECONDS, pid: server.child.pid });
      await stopServer(server);
      cpu[name].push(run.cpuUsPerReview);
      console.log(`  round ${round} ${name.padEnd(9)} ${Math.round(run.reviewsPerSecond)}/s, server CPU ${Math.round(run.cpuUsPerReview)} us/review`);
    }
  }
  printBreakdown(cpu);
}

async function main() {
  prepare();
  const body = reviewBody(benchPod(2));
  if (process.env.BREAKDOWN === '1') return breakdown(body);
  if (process.env.PROFILE !== undefined) return profile(process.env.PROFILE === 'baseline' ? 'baseline' : 'ours', body);
  header(body);
  const started = Date.now();
  console.log('## admission throughput and latency (HTTPS, keep-alive, POST /mutate)');
  printRounds(await throughput(body), CONCURRENCY);
  console.log('\n## scale of one review (in-process: JSON.parse + parseReview + reviewAdmission + JSON.stringify)');
  printScale(scale());
  console.log(`\n## memory (RSS of the webhook process, ${MEMORY_REVIEWS} reviews at 64 connections)`);
  printMemory(await measureMemory({ server: SERVERS.ours, certs, work, body, reviews: MEMORY_REVIEWS }));
  console.log(`\nbenchmark took ${Math.round((Date.now() - started) / 1000)} s; load average now ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
}

await main();
