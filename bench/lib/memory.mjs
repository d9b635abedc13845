// Memory of the webhook process under a long run: VmRSS (from /proc) after start, after a warm-up and
// after N reviews, each read before and after a full GC (bench-only hook: gc-on-signal.mjs).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad } from './load.mjs';
import { rssKiB, startServer, stopServer } from './servers.mjs';

const WARMUP_REVIEWS = 10_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function snapshot(server, memoryFile) {
  const rawKiB = rssKiB(server.child.pid);
  const asked = Date.now();
  server.child.kill('SIGUSR2');
  for (let i = 0; i < 100; i += 1) {
    await sleep(50);
    if (!existsSync(memoryFile)) continue;
    const usage = JSON.parse(readFileSync(memoryFile, 'utf8'));
    if (usage.at >= asked) {
      await sleep(200);
      return { rawKiB, rssKiB: rssKiB(server.child.pid), heapUsed: usage.heapUsed };
    }
  }
  throw new Error('the webhook did not answer the GC signal');
}

async function load(server, body, reviews) {
  const run = await runLoad({ port: server.port, body, connections: 64, amount: reviews });
  if (run.ok < reviews * 0.99) throw new Error(`memory run: only ${run.ok} of ${reviews} reviews answered (${run.failed} failed)`);
  return run;
}

/** Runs the webhook (`server`: script + env) through a warm-up and `reviews` reviews; returns the snapshots. */
export async function measureMemory({ server: spec, certs, work, body, reviews }) {
  const memoryFile = join(work, 'memory.json');
  const logFile = join(work, 'memory.log');
  rmSync(memoryFile, { force: true });
  const hook = new URL('./gc-on-signal.mjs', import.meta.url).href;
  const server = await startServer({
    ...spec, certs, logFile, env: { ...spec.env, BENCH_MEMORY_FILE: memoryFile }, nodeOptions: `--expose-gc --import ${hook}`,
  });
  try {
    await sleep(1000);
    const start = await snapshot(server, memoryFile);
    await load(server, body, WARMUP_REVIEWS);
    const warm = await snapshot(server, memoryFile);
    const run = await load(server, body, reviews);
    const end = await snapshot(server, memoryFile);
    return { start, warm, end, warmupReviews: WARMUP_REVIEWS, reviews: run.ok, failed: run.failed, reviewsPerSecond: run.reviewsPerSecond };
  } finally {
    await stopServer(server);
    rmSync(logFile, { force: true });
  }
}
