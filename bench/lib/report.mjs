// Printing of the admission benchmark's results: medians, ratios ours/baseline, goals of issue 6.
import { httpsCall } from './servers.mjs';
import { median } from './stats.mjs';

export const ms = (value) => `${value.toFixed(2)} ms`;
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const pad = (text, width) => String(text).padStart(width);

/** Before loading a server: one real review over verified TLS, checked, so the load measures real answers. */
export async function checkAnswer(name, server, body) {
  const uid = JSON.parse(body).request.uid;
  const answer = await httpsCall(server.port, '/mutate', { ca: server.ca, body });
  const review = JSON.parse(answer.body);
  if (answer.status !== 200 || review.response?.uid !== uid || review.response.allowed !== true) {
    throw new Error(`${name}: unexpected answer ${answer.status} ${answer.body.slice(0, 300)}`);
  }
  let detail = 'no patch';
  if (name === 'ours') {
    if (review.response.patchType !== 'JSONPatch') throw new Error(`ours: no JSON Patch in ${answer.body.slice(0, 300)}`);
    const ops = JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8'));
    detail = `JSON Patch of ${ops.length} ops`;
  }
  console.log(`  ${name}: HTTP 200, allowed, uid echoed, ${detail}, answer ${Buffer.byteLength(answer.body)} bytes`);
}

function summary(rounds, index) {
  const runs = rounds.map((round) => round[index]);
  const of = (key) => median(runs.map((run) => run[key]));
  return { rps: of('reviewsPerSecond'), p50: of('p50'), p99: of('p99'), max: of('max'), cpu: of('cpuUsPerReview'), failed: runs.reduce((n, r) => n + r.failed, 0) };
}

function verdict(ok) {
  return ok ? 'met' : 'MISSED';
}

/** Median per concurrency over the rounds, ratios ours/baseline, and the issue's goals. */
export function printRounds(results, concurrency) {
  console.log(`\nmedians of ${results.ours.length} rounds    reviews/s        p50        p99        max  server CPU/review  failed`);
  const rows = {};
  concurrency.forEach((connections, index) => {
    const ours = summary(results.ours, index);
    const base = summary(results.baseline, index);
    rows[connections] = { ours, base };
    for (const [name, row] of [['ours', ours], ['baseline', base]]) {
      console.log(`c=${pad(connections, 2)} ${name.padEnd(9)} ${pad(Math.round(row.rps), 17)} ${pad(ms(row.p50), 10)} ${pad(ms(row.p99), 10)} ${pad(ms(row.max), 10)} ${pad(`${Math.round(row.cpu)} us`, 18)} ${pad(row.failed, 7)}`);
    }
    const paired = results.ours.map((round, r) => round[index].reviewsPerSecond / results.baseline[r][index].reviewsPerSecond);
    console.log(`c=${pad(connections, 2)} ours/base ${pad(`${(ours.rps / base.rps).toFixed(2)}x`, 17)} ${pad(`${(ours.p50 / base.p50).toFixed(2)}x`, 10)} ${pad(`${(ours.p99 / base.p99).toFixed(2)}x`, 10)} ${pad(`${(ours.max / base.max).toFixed(2)}x`, 10)} ${pad(`${(ours.cpu / base.cpu).toFixed(2)}x`, 18)}   (reviews/s ratio per round: ${paired.map((x) => x.toFixed(2)).join(', ')})`);
  });
  const [one, many] = [rows[1], rows[64]];
  if (one === undefined || many === undefined) return;
  const rpsRatio = many.ours.rps / many.base.rps;
  const p99Ratio = many.ours.p99 / many.base.p99;
  const p99Delta = one.ours.p99 - one.base.p99;
  console.log('goals (issue 6):');
  console.log(`  reviews/s at 64 >= 80% of baseline: ${(rpsRatio * 100).toFixed(0)}% -> ${verdict(rpsRatio >= 0.8)}`);
  console.log(`  p99 at 64 <= 1.5x baseline: ${p99Ratio.toFixed(2)}x -> ${verdict(p99Ratio <= 1.5)}`);
  console.log(`  p99 at 1 within 1 ms of baseline: ${p99Delta >= 0 ? '+' : ''}${ms(p99Delta)} -> ${verdict(p99Delta <= 1)}`);
}

/** Time per review and per container; the marginal cost per added container must not grow (at most linear). */
export function printScale(rows) {
  console.log('containers  body bytes  patch ops   CPU us/review  us/container   wall us/review');
  for (const row of rows) {
    console.log(`${pad(row.containers, 10)} ${pad(row.bodyBytes, 11)} ${pad(row.ops, 10)} ${pad(row.usPerReview.toFixed(1), 15)} ${pad(row.usPerContainer.toFixed(1), 13)} ${pad(row.wallUsPerReview.toFixed(1), 16)}`);
  }
  const steps = rows.filter((row) => row.containers !== 2); // 2 is the load test's pod, shown for reference
  if (steps.length < 2) return;
  const marginal = steps.slice(1).map((row, i) => [`${steps[i].containers}->${row.containers}`, (row.usPerReview - steps[i].usPerReview) / (row.containers - steps[i].containers)]);
  console.log(`marginal CPU per added container: ${marginal.map(([span, us]) => `${span}: ${us.toFixed(1)} us`).join(', ')}`);
  const [first, last] = [steps[0], steps.at(-1)];
  const growth = (last.usPerReview / first.usPerReview) / (last.containers / first.containers);
  console.log(`growth: last/first marginal cost ${(marginal.at(-1)[1] / marginal[0][1]).toFixed(2)} (about 1 = linear, well above 1 = superlinear); `
    + `time(${last.containers})/time(${first.containers}) = ${(last.usPerReview / first.usPerReview).toFixed(1)} for ${last.containers / first.containers}x the containers (${growth.toFixed(2)} of linear)`);
}

export function printMemory(memory) {
  const line = (label, snap) => console.log(`${label.padEnd(34)} RSS ${pad(mib(snap.rawKiB), 10)}, after full GC ${pad(mib(snap.rssKiB), 10)}, heap used ${pad(mib(snap.heapUsed / 1024), 10)}`);
  line('after start', memory.start);
  line(`after ${memory.warmupReviews} reviews (warm-up)`, memory.warm);
  line(`after ${memory.reviews} more reviews`, memory.end);
  const growth = memory.end.rssKiB - memory.warm.rssKiB;
  const heap = (memory.end.heapUsed - memory.warm.heapUsed) / 1024;
  console.log(`growth over ${memory.reviews} reviews (after GC, vs warm-up): RSS ${growth >= 0 ? '+' : ''}${mib(growth)} (${((growth / memory.warm.rssKiB) * 100).toFixed(1)}%), heap ${heap >= 0 ? '+' : ''}${mib(heap)}; ${Math.round(memory.reviewsPerSecond)} reviews/s during the run${memory.failed > 0 ? `, ${memory.failed} requests failed or timed out` : ''}`);
}

/** Medians of server CPU per review per layer, and what each layer adds. */
export function printBreakdown(cpu) {
  const names = Object.keys(cpu);
  let previous = 0;
  console.log(`server CPU per review at 64 connections, medians of ${cpu[names[0]].length} rounds:`);
  for (const name of names) {
    const value = median(cpu[name]);
    console.log(`  ${name.padEnd(9)} ${pad(Math.round(value), 6)} us  (${previous === 0 ? 'HTTPS + fastify + JSON.parse' : `${value >= previous ? '+' : ''}${Math.round(value - previous)} us`})`);
    previous = value;
  }
}
