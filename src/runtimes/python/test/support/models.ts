// Shared by the process-model tests (gunicorn, uWSGI, uvicorn --workers, Celery, multiprocessing, os.fork):
// the apps/models venvs, the first user's export cadence, a pre-fork server started with a bounded wait for
// every worker's boot line, an HTTP client that links every request to the process that answered it (a
// traceparent of ours goes in, the pid comes out), and what the receiver got, per process.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Test } from 'tap';
import { plainEnv, pythonEnv, type Env } from './app.js';
import { SERVER, type ReceiverState } from './otlp.js';
import { APPS } from './paths.js';
import { freePort, run, sleep, tail, type Proc } from './proc.js';
import { ensureVenv, requirements, type Venv } from './python.js';

export const MODELS = join(APPS, 'models');

export type Gunicorn = '27' | '23';

/** The apps/models requirements for `minor` with gunicorn 27 (newest) or 23 (the previous major the issue names). */
export function modelsRequirements(minor: string, gunicorn: Gunicorn): string[] {
  if (minor === '3.9') {
    if (gunicorn !== '23') throw new Error('gunicorn 27 needs CPython 3.10 or later');
    return requirements('models-py39.txt');
  }
  const base = requirements('models-py310plus.txt');
  return gunicorn === '27' ? base : [...base.filter((l) => !l.startsWith('gunicorn==')), 'gunicorn==23.0.0'];
}

/** The models venv (cached); `uwsgi` adds uWSGI built from its sdist. */
export function modelsVenv(minor: string, options: { gunicorn?: Gunicorn; uwsgi?: boolean } = {}): Promise<Venv> {
  const gunicorn = options.gunicorn ?? (minor === '3.9' ? '23' : '27');
  const source = options.uwsgi === true ? requirements('models-uwsgi.txt') : [];
  return ensureVenv(`models-g${gunicorn}${options.uwsgi === true ? '-uwsgi' : ''}`, minor, modelsRequirements(minor, gunicorn), {}, source);
}

/** The first user's cadence: nothing leaves on schedule during a test, only what the ends of processes flush. */
export const PROD_CADENCE = { OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_BSP_SCHEDULE_DELAY: '30000', OTEL_BLRP_SCHEDULE_DELAY: '30000' };

/** service.instance.id as the webhook sets it: `<namespace>.<pod>.<container>`. */
export const instanceBase = (service: string): string => `bakery-ia.${service}-6f9c7d-h2k4p.${service}`;

/** The webhook's env for `service` (with its service.instance.id) on the first user's cadence. */
export function modelsEnv(endpoint: string, service: string, extra: Env = {}): Env {
  const env = pythonEnv(endpoint, service, { ...PROD_CADENCE, ...extra });
  env.OTEL_RESOURCE_ATTRIBUTES = `${env.OTEL_RESOURCE_ATTRIBUTES ?? ''},service.instance.id=${instanceBase(service)}`;
  return env;
}

/** The same container uninjected. */
export const uninjectedEnv = (extra: Env = {}): Env => plainEnv(extra);

export interface Served { path: string; traceId: string; pid: number }

/** Every request on a new connection (so the kernel spreads them over the workers), with a traceparent of ours. */
export class Client {
  readonly served: Served[] = [];
  readonly failed: string[] = [];
  constructor(readonly url: string) {}

  get(path: string, timeoutMs = 20000): Promise<Served | undefined> {
    const traceId = randomBytes(16).toString('hex');
    const headers = { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, connection: 'close' };
    return new Promise((resolve) => {
      const req = request(`${this.url}${path}`, { headers, agent: false, timeout: timeoutMs }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => {
          let pid = Number.NaN;
          try { pid = Number((JSON.parse(body) as { pid?: unknown }).pid); } catch { /* not JSON */ }
          if (res.statusCode !== 200 || !Number.isInteger(pid)) { this.failed.push(`${path}: ${res.statusCode ?? 0} ${body.slice(0, 200)}`); return resolve(undefined); }
          const served = { path, traceId, pid };
          this.served.push(served);
          resolve(served);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', (err) => { this.failed.push(`${path}: ${err.message}`); resolve(undefined); });
      req.end();
    });
  }

  /** `count` requests to /work/<i>, 4 at a time, then more until `minPids` processes answered (bounded: 10x, 60 s). */
  async spread(count: number, minPids: number): Promise<Set<number>> {
    const pids = new Set<number>();
    const deadline = Date.now() + 60000;
    for (let i = 0; (i < count || pids.size < minPids) && i < count * 10 && Date.now() < deadline; i += 4) {
      const answers = await Promise.all([0, 1, 2, 3].map((k) => this.get(`/work/${i + k}`)));
      for (const a of answers) if (a !== undefined) pids.add(a.pid);
    }
    return pids;
  }
}

export interface Prefork { readonly proc: Proc; readonly url: string; readonly client: Client; bootedPids(): number[] }

/**
 * Starts a pre-fork server (`{port}` in `args` is replaced) and waits, bounded, until `workers` boot lines
 * matched `booted` (its group 1: the pid) and /health answers: a worker that hangs after the fork never
 * prints its line, and the error says so instead of the suite hanging.
 */
export async function startPrefork(cmd: string, args: readonly string[], o: { env: Env; cwd: string; workers: number; booted: RegExp; what: string; timeoutMs?: number }): Promise<Prefork> {
  const port = await freePort();
  const proc = run(cmd, args.map((a) => a.replace('{port}', String(port))), { env: o.env, cwd: o.cwd });
  const url = `http://127.0.0.1:${port}`;
  const client = new Client(url);
  const re = new RegExp(o.booted.source, 'g');
  const bootedPids = (): number[] => [...(proc.stdout() + proc.stderr()).matchAll(re)].map((m) => Number(m[1]));
  const timeoutMs = o.timeoutMs ?? 30000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running()) throw new Error(`${o.what}: exited before serving:\n${tail(proc.stderr())}`);
    if (bootedPids().length >= o.workers && (await client.get('/health', 2000)) !== undefined) break;
    if (Date.now() > deadline) {
      await proc.stop(2000);
      throw new Error(`${o.what}: ${bootedPids().length} of ${o.workers} workers booted and served within ${timeoutMs} ms (a worker that hangs after the fork never gets there):\n${tail(proc.stderr())}`);
    }
    await sleep(150);
  }
  client.failed.length = 0; // refused connections while the workers booted
  return { proc, url, client, bootedPids };
}

/** True while `pid` exists (a zombie counts: it is reaped by its parent). */
export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

interface Resourced { resource: Record<string, unknown> }
const pidOf = (x: Resourced): number => Number(x.resource['process.pid']);

/** The service.instance.id values each process's telemetry carried, by process.pid. */
export function identities(st: ReceiverState, service: string): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const x of [...st.spans, ...st.logs, ...st.metrics] as Resourced[]) {
    if (x.resource['service.name'] !== service) continue;
    const ids = out.get(pidOf(x)) ?? new Set<string>();
    ids.add(String(x.resource['service.instance.id']));
    out.set(pidOf(x), ids);
  }
  return out;
}

/**
 * Per process: the request count of its HTTP server duration histogram (cumulative): the sum of the points of
 * the last record it exported under each scope and name.
 */
export function httpCounts(st: ReceiverState, service: string): Map<number, number> {
  const last = new Map<string, { pid: number; count: number }>();
  for (const m of st.metrics) {
    if (m.resource['service.name'] !== service || (m.name !== 'http.server.request.duration' && m.name !== 'http.server.duration')) continue;
    last.set(`${pidOf(m)}|${m.scope}|${m.name}`, { pid: pidOf(m), count: m.points.reduce((n, p) => n + (p.count ?? 0), 0) });
  }
  const out = new Map<number, number>();
  for (const { pid, count } of last.values()) out.set(pid, (out.get(pid) ?? 0) + count);
  return out;
}

/** The sum over processes of a metric's last cumulative value (a counter the app records), and the parts. */
export function counterSum(st: ReceiverState, service: string, name: string): { sum: number; byPid: Record<number, number> } {
  const last = new Map<number, number>();
  for (const m of st.metrics) {
    if (m.resource['service.name'] === service && m.name === name) last.set(pidOf(m), m.points.reduce((n, p) => n + (p.value ?? 0), 0));
  }
  return { sum: [...last.values()].reduce((a, b) => a + b, 0), byPid: Object.fromEntries(last) };
}

/**
 * What every pre-fork case asserts on the receiver: each request's server span and log came from the process
 * that answered it, each worker has its own process.pid and service.instance.id (the root keeps the
 * webhook's), and the HTTP request counts summed over the processes equal the requests served.
 */
export function checkWorkers(t: Test, st: ReceiverState, o: { service: string; rootPid: number; client: Client; minWorkers: number }): void {
  const { service, rootPid, client } = o;
  const workers = [...new Set(client.served.map((s) => s.pid))];
  t.ok(workers.length >= o.minWorkers, `${workers.length} worker processes answered (${workers.join(', ')}), at least ${o.minWorkers}`);
  t.notOk(workers.includes(rootPid), 'the master answered nothing itself');
  const ids = identities(st, service);
  const base = instanceBase(service);
  const of = (pid: number) => (x: Resourced): boolean => pidOf(x) === pid && x.resource['service.name'] === service;
  t.comment(`exported per process (master ${rootPid}): ${JSON.stringify([...ids.keys()].map((pid) => ({ pid, spans: st.spans.filter(of(pid)).length, logs: st.logs.filter(of(pid)).length, metrics: new Set(st.metrics.filter(of(pid)).map((m) => m.name)).size })))}`);
  for (const pid of workers) {
    t.same([...(ids.get(pid) ?? [])], [`${base}.${pid}`], `worker ${pid}: telemetry with process.pid ${pid} and service.instance.id ${base}.${pid}`);
  }
  if (ids.has(rootPid)) t.same([...(ids.get(rootPid) ?? [])], [base], `the master (${rootPid}) keeps the webhook's service.instance.id`);
  const unknown = [...ids.keys()].filter((pid) => pid !== rootPid && !workers.includes(pid) && ids.get(pid)?.has(`${base}.${pid}`) !== true);
  t.same(unknown, [], 'every other process that exported has <base>.<its pid>');

  const spans = st.spans.filter((s) => s.kind === SERVER && s.resource['service.name'] === service);
  const noSpan = client.served.filter((r) => !spans.some((s) => s.traceId === r.traceId && pidOf(s) === r.pid));
  t.same(noSpan.slice(0, 5), [], `each of the ${client.served.length} requests' server span arrived from the process that answered (${noSpan.length} missing)`);
  t.equal(spans.length, client.served.length, 'one server span per request, none twice');
  const work = client.served.filter((r) => r.path.startsWith('/work/'));
  const noLog = work.filter((r) => !st.logs.some((l) => l.traceId === r.traceId && pidOf(l) === r.pid && String(l.body).startsWith(`work ${r.path.slice(6)} done by ${r.pid}`)));
  t.same(noLog.slice(0, 5), [], `each of the ${work.length} /work requests' log arrived with the request's trace id, from its process (${noLog.length} missing)`);

  const counts = httpCounts(st, service);
  const sum = [...counts.values()].reduce((a, b) => a + b, 0);
  t.equal(sum, client.served.length, `sum over processes of the exported http.server request counts = requests served (${JSON.stringify(Object.fromEntries(counts))})`);
  t.same(st.errors, [], 'every export decoded');
}

/**
 * Margin on top of "uninjected + 1 s" for the exit after SIGTERM. The two exits are measured in separate runs
 * on a shared 2-core machine: the master's reap loop (gunicorn polls every 0.1-1 s), interpreter teardown of
 * 2-3 processes and the scheduler's delays differ from run to run by several hundred ms under load (seen here
 * up to ~0.8 s with the suite running beside), so 1.5 s catches a flush that waits on anything (a timeout of
 * ours, a 30 s batch delay, a hang) without failing on noise.
 */
export const LOAD_MARGIN_MS = 1500;

export function checkExitTime(t: Test, withUs: number, without: number, what: string): void {
  const bound = without + 1000 + LOAD_MARGIN_MS;
  t.comment(`${what}: exit after SIGTERM ${withUs} ms injected, ${without} ms uninjected (bound ${bound} ms)`);
  t.ok(withUs <= bound, `${what}: exited in ${withUs} ms, at most uninjected (${without} ms) + 1 s + ${LOAD_MARGIN_MS} ms`);
}
