// Bench-only hook for the memory run, loaded into the webhook process through
// NODE_OPTIONS="--expose-gc --import <this file>" (nothing in src/ knows about it): on SIGUSR2 it runs a
// full garbage collection and writes process.memoryUsage() as JSON to BENCH_MEMORY_FILE.
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  writeFileSync(process.env.BENCH_MEMORY_FILE, JSON.stringify({ ...process.memoryUsage(), at: Date.now() }));
});
