// Shared by the preload tests: build once, start example apps as real processes with the env the
// webhook sets, talk to them over HTTP.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PRELOAD_DIR = join(ROOT, 'dist', 'preload');
export const APPS = join(ROOT, 'test', 'preload', 'apps');

export function ensureBuilt(): void {
  if (existsSync(join(PRELOAD_DIR, 'register.cjs'))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-preload.mjs'), '--quiet'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build:preload failed');
}

export type Env = Record<string, string | undefined>;

/** The environment the webhook puts on an app container (see issue 2 / docs/preload.md). */
export function webhookEnv(endpoint: string, service: string, extra: Env = {}, preloadDir = PRELOAD_DIR): Env {
  const env: Env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_PROPAGATORS: 'tracecontext,baggage',
    OTEL_RESOURCE_ATTRIBUTES: `k8s.namespace.name=shop,k8s.pod.name=${service}-7d4b9c-x2x9q,k8s.container.name=app,k8s.deployment.name=${service},service.namespace=shop`,
    NODE_OPTIONS: `--no-deprecation --require ${join(preloadDir, 'register.cjs')}`,
    // Short export intervals so tests do not wait a minute.
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
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

export function startApp(file: string, env: Env, timeoutMs = 20000): Promise<App> {
  const proc = spawn(process.execPath, [join(APPS, file)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
