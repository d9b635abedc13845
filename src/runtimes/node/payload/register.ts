/**
 * Entry point: `NODE_OPTIONS=--require <dir>/register.cjs`. Never throws, never exits, never
 * writes next to itself: whatever happens, the application starts as it would without us.
 * Only the configuration is read eagerly; the SDK (sdk.cjs) is required only once we know it will run.
 */
import { isMainThread } from 'node:worker_threads';
import { parseConfig } from './config.js';
import { stderrWarn } from './warn.js';
import type * as Sdk from './sdk.js';

const KEY = Symbol.for('otel-injector.preload.loaded');
const g = globalThis as Record<symbol, unknown>;

function main(): void {
  const warn = stderrWarn((s) => process.stderr.write(s));
  try {
    const config = parseConfig(process.env);
    if (config.disabled) return;
    if (config.problems.length > 0) {
      warn(`not started (${config.problems.join('; ')}); the application runs without telemetry`);
      return;
    }
    // sdk.cjs is a separate file (see scripts/build-payload.mjs): not even parsed when disabled.
    const sdk = require('./sdk.cjs') as typeof Sdk;
    sdk.startPreload({ env: process.env, dir: __dirname, proc: process, warn, argv: process.argv, execArgv: process.execArgv }, config);
  } catch (err) {
    warn(`failed to start (${err instanceof Error ? err.message : String(err)}); the application runs without telemetry`);
  }
}

// --require preloads also run in worker threads, including the off-thread module.register hooks
// thread (ours, or any loader the app or a tool registers): one SDK per process, in the main thread.
if (isMainThread && g[KEY] !== true) {
  g[KEY] = true;
  main();
}
