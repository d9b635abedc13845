// Shared by the Node.js payload's tests: build once, start example apps as real processes with the env the
// webhook sets, talk to them over HTTP.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appEnv } from '../../../../test/support/injected-env.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const PRELOAD_DIR = join(ROOT, 'dist', 'payload', 'node');
export const APPS = join(ROOT, 'src', 'runtimes', 'node', 'test', 'apps');

/**
 * The Node.js that runs the apps: the binary of one supported line when the matrix runner
 * (scripts/test-matrix.mjs) sets OTEL_INJECTOR_TEST_NODE, else the Node running the tests.
 */
export const APP_NODE = process.env.OTEL_INJECTOR_TEST_NODE || process.execPath;
export const APP_NODE_VERSION = execFileSync(APP_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim();
export const APP_NODE_MAJOR = Number(APP_NODE_VERSION.split('.')[0]);

export function ensureBuilt(): void {
  if (existsSync(join(PRELOAD_DIR, 'register.cjs'))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-payload.mjs'), '--quiet', '--only', 'node'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the Node payload build failed');
}

export type Env = Record<string, string | undefined>;

/**
 * The environment the webhook puts on an app container (built by its own injection: test/support/injected-env.ts),
 * for a container of Deployment `<service>` in namespace shop that sets NODE_OPTIONS=--no-deprecation itself;
 * short export intervals so tests do not wait a minute. `mountPath`: the folder holding node/ (dist/payload).
 */
export function webhookEnv(endpoint: string, service: string, extra: Env = {}, mountPath = dirname(PRELOAD_DIR)): Env {
  return appEnv(
    { PATH: process.env.PATH, HOME: process.env.HOME },
    { runtimes: ['node'], mountPath, endpoint, service, namespace: 'shop', container: 'app', hash: '7d4b9c', suffix: 'x2x9q', containerEnv: { NODE_OPTIONS: '--no-deprecation' } },
    { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
    extra,
  );
}

export interface App {
  readonly port: number;
  readonly url: string;
  readonly proc: ChildProcess;
  readonly startupRss: number;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with how the process ended and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/**
 * tap adds its own `--import` loader (@tapjs/processinfo) to NODE_OPTIONS of every process a test
 * spawns, and would thus add a module hooks thread (and a crash on Node 18, which has no global
 * `crypto`) to the apps. The apps get exactly the env the webhook sets: a shell puts our
 * NODE_OPTIONS back and drops tap's variables, then execs node (same pid, signals go to node).
 */
const CLEAN_EXEC = 'for v in $(env | sed -n "s/^\\(_TAPJS_[A-Za-z0-9_]*\\)=.*/\\1/p"); do unset "$v"; done; ' +
  'if [ -n "${APP_NODE_OPTIONS+x}" ]; then export NODE_OPTIONS="$APP_NODE_OPTIONS"; else unset NODE_OPTIONS; fi; unset APP_NODE_OPTIONS; exec "$@"';

export function cleanCommand(node: string, args: readonly string[], env: Env): { cmd: string; args: string[]; env: Env } {
  const { NODE_OPTIONS, ...rest } = env;
  return { cmd: '/bin/sh', args: ['-c', CLEAN_EXEC, 'sh', node, ...args], env: NODE_OPTIONS === undefined ? rest : { ...rest, APP_NODE_OPTIONS: NODE_OPTIONS } };
}

export function startApp(file: string, env: Env, timeoutMs = 20000, node = APP_NODE): Promise<App> {
  const clean = cleanCommand(node, [join(APPS, file)], env);
  const proc = spawn(clean.cmd, clean.args, { env: clean.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${file} not ready in ${timeoutMs} ms: ${err}`)); }, timeoutMs);
    void exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`${file} exited (${code}) before ready: ${err}`)); });
    const onData = (): void => {
      const line = out.split('\n').find((l) => l.startsWith('{"ready":true'));
      if (line === undefined) return;
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      const info = JSON.parse(line) as { port: number; rss: number };
      resolve({
        port: info.port,
        url: `http://127.0.0.1:${info.port}`,
        proc,
        startupRss: info.rss,
        stdout: () => out,
        stderr: () => err,
        stop: async (signal: NodeJS.Signals = 'SIGKILL') => {
          const t0 = Date.now();
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          const r = await exited;
          return { ...r, ms: Date.now() - t0 };
        },
      });
    };
    proc.stdout?.on('data', onData);
  });
}

export function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Reads /proc/<pid>/status VmRSS in bytes (Linux). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export const SERVER = 2;
export const CLIENT = 3;
