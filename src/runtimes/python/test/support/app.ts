// Starts a test app under uvicorn from its own virtualenv, with the environment the webhook puts on a Python
// container: PYTHONPATH=<mount>/python (here dist/payload/python) and the OTEL_* variables, from its own injection. Nothing else
// instruments it: the venv has no OpenTelemetry package unless a test asks for one.
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { APPS, PAYLOAD_DIR } from './paths.js';
import { appEnv } from '../../../../../test/support/injected-env.js';
import { freePort, run, sleep, tail, type Exit, type Proc } from './proc.js';
import type { Test } from 'tap';
import { ensureVenv, type Venv } from './python.js';

export type Env = Record<string, string | undefined>;

/**
 * The webhook's env for a Python container of Deployment `<service>` in namespace bakery-ia, built by its own
 * injection (test/support/injected-env.ts; README, "What the webhook does, exactly"; docs/python.md), short export
 * intervals for tests.
 */
export function pythonEnv(endpoint: string, service: string, extra: Env = {}): Env {
  return appEnv(
    { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' },
    { runtimes: ['python'], mountPath: PAYLOAD_DIR, endpoint, service, namespace: 'bakery-ia', container: service, hash: '6f9c7d', suffix: 'h2k4p' },
    { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
    extra,
  );
}

/** The same container without the injector: no PYTHONPATH of ours, no OTEL_* variables. */
export function plainEnv(extra: Env = {}): Env {
  const env: Env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...extra };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

export interface PyApp {
  readonly url: string;
  readonly port: number;
  readonly proc: Proc;
  stderr(): string;
  stdout(): string;
  /** Lines of ours on stderr (`otel-injector:` prefix). */
  injectorLines(): string[];
  /** Sends `signal` to uvicorn and waits (bounded) for its exit. */
  signal(signal: NodeJS.Signals, graceMs?: number): Promise<Exit & { ms: number }>;
  stop(): Promise<void>;
}

export function get(url: string, headers: Record<string, string> = {}, timeoutMs = 20000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function getJson(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await get(url);
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(r.body) as Record<string, unknown>; } catch { json = { unparsed: r.body }; }
  return { status: r.status, json };
}

/**
 * `<venv>/bin/uvicorn <module> --app-dir apps/<appDir>` on a free loopback port, ready once /health answers 200.
 */
export async function startPyApp(venv: Venv, env: Env, options: { appDir?: string; module?: string; timeoutMs?: number } = {}): Promise<PyApp> {
  const port = await freePort();
  const appDir = join(APPS, options.appDir ?? 'shop');
  const proc = run(venv.bin('uvicorn'), [options.module ?? 'main:app', '--app-dir', appDir, '--host', '127.0.0.1', '--port', String(port)], { env, cwd: appDir });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60000);
  for (;;) {
    if (!proc.running()) throw new Error(`uvicorn exited before serving:\n${tail(proc.stderr())}`);
    const r = await get(`${url}/health`, {}, 2000).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`uvicorn not serving /health within ${options.timeoutMs ?? 60000} ms:\n${tail(proc.stderr())}`);
    }
    await sleep(100);
  }
  return {
    url,
    port,
    proc,
    stderr: proc.stderr,
    stdout: proc.stdout,
    injectorLines: () => proc.stderr().split('\n').filter((l) => l.includes('otel-injector')),
    signal: (sig, graceMs) => proc.signal(sig, graceMs),
    stop: () => proc.stop(),
  };
}

/** The shop app from the venv `name` (built once with `reqs` and `files`), stopped when `t` ends. */
export async function appFor(t: Test, name: string, minor: string, reqs: readonly string[], env: Env, files: Record<string, string> = {}): Promise<PyApp> {
  const venv = await ensureVenv(name, minor, reqs, files);
  const app = await startPyApp(venv, env);
  t.teardown(() => app.stop());
  return app;
}

/** Waits `ms` for anything the app would export, then says how many requests the receiver got. */
export async function requestsAfter(receiver: { requests: unknown[] }, ms: number): Promise<number> {
  await sleep(ms);
  return receiver.requests.length;
}

/** A string as a literal inside a RegExp. */
export const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
