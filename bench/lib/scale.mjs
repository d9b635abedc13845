#!/usr/bin/env node
// Server time of one review, in-process (run as its own process by bench/admission.mjs): JSON.parse of
// the body + parseReview + reviewAdmission (injection, JSON Patch, base64) + JSON.stringify of the answer,
// for pods with 1, 2, 10, 50 and 100 containers. Median over timed batches after a warm-up.
// Prints one JSON line: [{ containers, bodyBytes, ops, usPerReview, usPerContainer, wallUsPerReview }] (us = CPU µs).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchPod, reviewBody } from './fixture.mjs';
import { median } from './stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const { parseReview } = await load('admission/parse.js');
const { reviewAdmission } = await load('admission/review.js');
const { parseConfig } = await load('config/index.js');

const SIZES = (process.env.SCALE_SIZES ?? '1,2,10,50,100').split(',').map(Number);
const SECONDS = Number(process.env.SCALE_SECONDS ?? 2);
const config = parseConfig({}, '0.1.0').inject;

function once(body) {
  const result = reviewAdmission(parseReview(JSON.parse(body)), config);
  const answer = JSON.stringify(result.review);
  if (result.decision !== 'injected') throw new Error(`expected injected, got ${result.decision}: ${result.reason}`);
  return { answer, ops: result.ops };
}

/**
 * Per-review microseconds, median of batches of `batch` reviews over `seconds`: CPU time of this process
 * (user + system; what the review costs, robust to other processes on a shared machine) and wall time.
 */
function measure(body, batch, seconds) {
  const cpu = [];
  const wall = [];
  const deadline = performance.now() + seconds * 1000;
  let sink = 0;
  while (performance.now() < deadline) {
    const startCpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i += 1) sink += once(body).answer.length;
    wall.push(Number(process.hrtime.bigint() - start) / 1000 / batch);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / batch);
  }
  if (sink === 0) throw new Error('nothing answered');
  return { cpu: median(cpu), wall: median(wall) };
}

const rows = [];
for (const containers of SIZES) {
  const body = reviewBody(benchPod(containers));
  const { ops } = once(body);
  const probe = measure(body, 1, 0.3); // warm-up, and sizes a batch to about 20 ms of CPU
  const batch = Math.max(1, Math.round(20_000 / probe.cpu));
  const { cpu, wall } = measure(body, batch, SECONDS);
  rows.push({ containers, bodyBytes: Buffer.byteLength(body), ops, usPerReview: cpu, usPerContainer: cpu / containers, wallUsPerReview: wall });
}
process.stdout.write(`${JSON.stringify(rows)}\n`);
