// However the process ends, what it recorded reaches a real OTLP receiver (issue 24), with the first
// user's export cadence (spans every 30 s, metrics every 60 s: only the flush at the end can deliver
// them): SIGTERM without and with the app's own handler (cluster workers calling process.exit(0)), an
// uncaught exception (handled by the app or not), an unhandled rejection, process.exit() at the end of
// an ESM Job script. The crash itself is a log record and an ERROR span. With a collector that never
// answers, or none at all, the exit is delayed by at most the shutdown bound (1 s by default); with a
// slow one, nothing is cut that it answers within the bound. Exit codes are the app's own.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startReceiver, type Receiver, type ReceiverState, type SpanRecord } from '../../../../test/support/receiver.mjs';
import { APP_NODE, APPS, CLIENT, SERVER, cleanCommand, ensureBuilt, get, startApp, webhookEnv, type Env } from './helpers.js';

ensureBuilt();

const N = 41;
const CADENCE = { OTEL_BSP_SCHEDULE_DELAY: '30000', OTEL_METRIC_EXPORT_INTERVAL: '60000' };
/** A bound that only catches a hang (the real bound is 1 s; the machine is shared and loaded). */
const HANG = 8000;

async function serve(url: string, n: number, prefix = '/req-'): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i += 4) {
    const batch = Array.from({ length: Math.min(4, n - i) }, (_, k) => get(`${url}${prefix}${i + k}`));
    ok += (await Promise.all(batch)).filter((r) => r.status === 200).length;
  }
  return ok;
}

/** Waits until `ready` holds, then a little longer, so that a duplicate would have arrived too. */
async function settle(receiver: Receiver, ready: (s: ReceiverState) => boolean): Promise<void> {
  await receiver.waitFor(ready, 5000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
}

const servers = (r: Receiver, prefix = '/req-'): SpanRecord[] =>
  r.spans.filter((s) => s.kind === SERVER && String(s.attributes['url.path']).startsWith(prefix));
const durationCount = (r: Receiver, name: string): number =>
  r.metrics.filter((m) => m.name === name).flatMap((m) => m.points).reduce((n, p) => n + (p.count ?? 0), 0);
/** Metrics are cumulative: the largest count seen per process is what that process recorded. */
function countPerPid(r: Receiver, name: string): Map<unknown, number> {
  const per = new Map<unknown, number>();
  for (const m of r.metrics.filter((x) => x.name === name)) {
    const c = m.points.reduce((n, p) => n + (p.count ?? 0), 0);
    per.set(m.resource['process.pid'], Math.max(per.get(m.resource['process.pid']) ?? 0, c));
  }
  return per;
}

/** A collector that accepts connections, reads everything and never answers. */
async function silentCollector(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => { sockets.add(s); s.resume(); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

interface JobRun { code: number | null; signal: string | null; stdout: string; stderr: string; afterDoneMs: number }

/** Runs the ESM Job script to its end; `afterDoneMs`: from its last line ("job done") to its exit. */
function runJob(env: Env): Promise<JobRun> {
  const c = cleanCommand(APP_NODE, [join(APPS, 'job.mjs')], env);
  const child = spawn(c.cmd, c.args, { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let doneAt = 0;
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (doneAt === 0 && stdout.includes('job done')) doneAt = Date.now(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(killer);
    resolve({ code, signal, stdout, stderr, afterDoneMs: doneAt === 0 ? -1 : Date.now() - doneAt });
  }));
}

async function receiverFor(t: Test, options: { delayMs?: number; keepIfGone?: boolean } = {}): Promise<Receiver> {
  const receiver = await startReceiver(options);
  t.teardown(async () => { await receiver.close(); });
  return receiver;
}

t.test('plain server, SIGTERM, no handler of its own: every span and the metrics arrive, ended by the signal', async (t) => {
  const receiver = await receiverFor(t);
  const app = await startApp('hello.cjs', webhookEnv(receiver.url, 'plain', CADENCE));
  t.teardown(async () => { await app.stop(); });
  t.equal(await serve(app.url, N), N);
  const end = await app.stop('SIGTERM');
  t.equal(end.signal, 'SIGTERM', 'ended by SIGTERM, as without the preload');
  await settle(receiver, (s) => s.spans.filter((x) => x.kind === SERVER).length >= N && s.metrics.length > 0);
  t.equal(servers(receiver).length, N, `exactly ${N} server spans`);
  t.equal(durationCount(receiver, 'http.server.request.duration'), N, 'http.server.request.duration counts every request');
  t.comment(`exit ${end.ms} ms after SIGTERM`);
});

t.test('cluster: workers call process.exit(0) in their SIGTERM handler: every span, metrics per worker', async (t) => {
  const receiver = await receiverFor(t);
  const app = await startApp('cluster-exit.cjs', webhookEnv(receiver.url, 'cluster', CADENCE));
  t.teardown(async () => { await app.stop(); });
  const workers = (JSON.parse(app.stdout().split('\n').find((l) => l.startsWith('{"ready"')) ?? '{}') as { workers: number[] }).workers;
  t.equal(await serve(app.url, N), N);
  const end = await app.stop('SIGTERM');
  t.equal(end.code, 0, "the primary's exit code");
  await settle(receiver, (s) => s.spans.filter((x) => x.kind === SERVER).length >= N);
  const spans = servers(receiver);
  t.equal(spans.length, N, `exactly ${N} server spans (none lost, none twice)`);
  t.same(new Set(spans.map((s) => s.resource['process.pid'])), new Set(workers), 'served by both workers');
  const per = countPerPid(receiver, 'http.server.request.duration');
  t.same([...per.keys()].sort(), [...workers].sort(), 'a duration histogram from each worker');
  t.equal([...per.values()].reduce((a, b) => a + b, 0), N, 'counting every request');
  t.comment(`exit ${end.ms} ms after SIGTERM`);
});

t.test('SIGTERM, the app drains and exits 0 later: requests it finishes during the drain arrive too', async (t) => {
  const receiver = await receiverFor(t);
  const app = await startApp('graceful.cjs', webhookEnv(receiver.url, 'drain', CADENCE));
  t.teardown(async () => { await app.stop(); });
  t.equal(await serve(app.url, N), N);
  const slow = get(`${app.url}/slow`);
  await new Promise((r) => setTimeout(r, 50));
  const end = await app.stop('SIGTERM');
  t.equal((await slow).status, 200, 'the request in progress was answered during the drain');
  t.equal(end.code, 0, "the app's exit code");
  await settle(receiver, (s) => s.spans.filter((x) => x.kind === SERVER).length >= N + 1);
  t.equal(servers(receiver).length, N, `exactly ${N} spans served before SIGTERM`);
  t.equal(servers(receiver, '/slow').length, 1, 'and the one finished during the drain');
  t.equal(Math.max(...[...countPerPid(receiver, 'http.server.request.duration').values()]), N + 1, 'the duration histogram counts it');
  t.comment(`exit ${end.ms} ms after SIGTERM (the app drains for 1000 ms)`);
});

function assertCrash(t: Test, receiver: Receiver, span: SpanRecord | undefined, expect: { type: string; message: string; file: RegExp; severity: string }): void {
  t.ok(span, 'the span active when it was thrown arrived');
  t.equal(span?.status.code, 2, 'with status ERROR');
  const event = span?.events.find((e) => e.name === 'exception');
  t.equal(event?.attributes['exception.type'], expect.type, 'and the exception event');
  const logs = receiver.logs.filter((l) => l.attributes['exception.type'] !== undefined);
  t.equal(logs.length, 1, 'one log record about the crash');
  const log = logs[0];
  t.equal(log?.severityText, expect.severity);
  t.equal(log?.severityNumber, expect.severity === 'FATAL' ? 21 : 17);
  t.equal(log?.attributes['exception.message'], expect.message);
  t.match(String(log?.attributes['exception.stacktrace']), expect.file, 'stack trace of the throw');
  t.equal(log?.traceId, span?.traceId, 'carrying the trace id of the active span');
  t.equal(log?.spanId, span?.spanId, 'and its span id');
}

t.test('a handler throws in a timer (uncaught exception): every span, metrics, the crash recorded, exit code 1', async (t) => {
  const receiver = await receiverFor(t);
  const app = await startApp('crash-timer.cjs', webhookEnv(receiver.url, 'crash', CADENCE));
  t.teardown(async () => { await app.stop(); });
  t.equal(await serve(app.url, N), N);
  get(`${app.url}/boom`).catch(() => undefined);
  const end = await app.stop('SIGCONT'); // (a harmless signal: waits for the crash to end the process)
  t.equal(end.code, 1, "Node's exit code for an uncaught exception");
  t.match(app.stderr(), /TypeError: boom in a timer/, "Node's own report of the crash is still printed");
  await settle(receiver, (s) => s.spans.filter((x) => x.kind === SERVER).length >= N + 1 && s.logs.length > 0 && s.metrics.length > 0);
  t.equal(servers(receiver).length, N, `exactly ${N} spans of the requests served`);
  t.equal(durationCount(receiver, 'http.server.request.duration'), N, 'their duration histogram');
  assertCrash(t, receiver, servers(receiver, '/boom')[0], { type: 'TypeError', message: 'boom in a timer', file: /crash-timer\.cjs/, severity: 'FATAL' });
});

t.test("the app's own uncaughtException listener still decides: it lives on, the crash is recorded as ERROR", async (t) => {
  const receiver = await receiverFor(t);
  const app = await startApp('crash-timer.cjs', webhookEnv(receiver.url, 'handled', { ...CADENCE, HANDLE_CRASH: '1' }));
  t.teardown(async () => { await app.stop(); });
  t.equal(await serve(app.url, N), N);
  get(`${app.url}/boom`).catch(() => undefined);
  for (let i = 0; i < 100 && !app.stdout().includes('app caught'); i++) await new Promise((r) => setTimeout(r, 20));
  t.match(app.stdout(), /app caught: boom in a timer/, "the app's listener ran");
  t.equal(await serve(app.url, 3, '/after'), 3, 'and the process lives on, serving');
  const end = await app.stop('SIGTERM');
  t.equal(end.signal, 'SIGTERM');
  await settle(receiver, (s) => s.spans.filter((x) => x.kind === SERVER).length >= N + 4 && s.logs.length > 0);
  t.equal(servers(receiver).length, N);
  t.equal(servers(receiver, '/after').length, 3);
  assertCrash(t, receiver, servers(receiver, '/boom')[0], { type: 'TypeError', message: 'boom in a timer', file: /crash-timer\.cjs/, severity: 'ERROR' });
});

t.test('ESM, an unhandled rejection (default --unhandled-rejections=throw): every span, the crash recorded, exit code 1', async (t) => {
  const receiver = await receiverFor(t);
  const app = await startApp('rejection.mjs', webhookEnv(receiver.url, 'reject', CADENCE));
  t.teardown(async () => { await app.stop(); });
  t.equal(await serve(app.url, N), N);
  get(`${app.url}/reject`).catch(() => undefined);
  const end = await app.stop('SIGCONT');
  t.equal(end.code, 1);
  await settle(receiver, (s) => s.spans.filter((x) => x.kind === SERVER).length >= N + 1 && s.logs.length > 0);
  t.equal(servers(receiver).length, N);
  assertCrash(t, receiver, servers(receiver, '/reject')[0], { type: 'RangeError', message: 'rejected in a handler', file: /rejection\.mjs/, severity: 'FATAL' });
});

t.test('ESM Job script ending with process.exit(3): every server and client span, metrics, exit code 3', async (t) => {
  const receiver = await receiverFor(t);
  const run = await runJob(webhookEnv(receiver.url, 'job', { ...CADENCE, JOB_REQUESTS: String(N), JOB_EXIT: '3' }));
  t.equal(run.code, 3, `the script's exit code (${run.stderr.slice(0, 300)})`);
  t.match(run.stdout, /job done: 41\napp exit listener: code 3, exitCode 3\n$/, "its own exit listener ran and saw its exit code; stdout complete");
  await settle(receiver, (s) => s.spans.length >= 2 * N && s.metrics.length > 0);
  t.equal(receiver.spans.filter((s) => s.kind === SERVER).length, N, `${N} server spans`);
  t.equal(receiver.spans.filter((s) => s.kind === CLIENT).length, N, `${N} client spans`);
  t.equal(durationCount(receiver, 'http.client.request.duration'), N, 'client duration histogram');
  t.ok(receiver.metrics.some((m) => m.name === 'process.memory.usage'), 'observable (host) metrics collected at exit too');
  t.comment(`exit ${run.afterDoneMs} ms after the script's last line`);
});

t.test('a slow collector (answers after 300 ms): nothing is cut that it answers within the bound', async (t) => {
  const receiver = await receiverFor(t, { delayMs: 300 });
  const run = await runJob(webhookEnv(receiver.url, 'slow', { ...CADENCE, JOB_REQUESTS: String(N), JOB_EXIT: '0' }));
  t.equal(run.code, 0);
  await settle(receiver, (s) => s.spans.length >= 2 * N && s.metrics.length > 0);
  t.equal(receiver.cut, 0, 'no request cut off before its answer');
  t.equal(receiver.spans.filter((s) => s.kind === SERVER).length, N);
  t.ok(durationCount(receiver, 'http.server.request.duration') === N, 'metrics');
  t.ok(run.afterDoneMs >= 300, `the exit waited for the answers (${run.afterDoneMs} ms)`);
});

t.test('an export in flight whose body the collector already has is not sent twice', async (t) => {
  // The SIGTERM flush sends at once; the collector keeps what it received but answers only after 600 ms;
  // the app exits 150 ms after SIGTERM: its exit flush must not send that export again.
  const receiver = await receiverFor(t, { delayMs: 600, keepIfGone: true });
  const app = await startApp('graceful.cjs', webhookEnv(receiver.url, 'inflight', { ...CADENCE, DRAIN_MS: '150', OTEL_METRICS_EXPORTER: 'none' }));
  t.teardown(async () => { await app.stop(); });
  t.equal(await serve(app.url, N), N);
  const end = await app.stop('SIGTERM');
  t.equal(end.code, 0);
  await settle(receiver, (s) => s.spans.length >= N);
  await new Promise((r) => setTimeout(r, 700)); // until the late answers of anything sent twice
  t.equal(servers(receiver).length, N, `exactly ${N} server spans: none lost, none twice`);
});

t.test('a collector that never answers: each ending is delayed by at most the bound, exit codes unchanged', async (t) => {
  const silent = await silentCollector();
  t.teardown(silent.close);
  const job = await runJob(webhookEnv(silent.url, 'job-silent', { ...CADENCE, JOB_REQUESTS: '5', JOB_EXIT: '3' }));
  t.equal(job.code, 3);
  t.ok(job.afterDoneMs >= 0 && job.afterDoneMs < HANG, `process.exit(3): exit ${job.afterDoneMs} ms after the last line (bound 1000 ms)`);
  const crash = await startApp('crash-timer.cjs', webhookEnv(silent.url, 'crash-silent', CADENCE));
  t.teardown(async () => { await crash.stop(); });
  t.equal(await serve(crash.url, 5), 5);
  const t0 = Date.now();
  get(`${crash.url}/boom`).catch(() => undefined);
  const crashed = await crash.stop('SIGCONT');
  t.equal(crashed.code, 1);
  t.ok(Date.now() - t0 < HANG, `uncaught exception: exit ${Date.now() - t0} ms after the request that throws`);
  const cluster = await startApp('cluster-exit.cjs', webhookEnv(silent.url, 'cluster-silent', CADENCE));
  t.teardown(async () => { await cluster.stop(); });
  t.equal(await serve(cluster.url, 5), 5);
  const end = await cluster.stop('SIGTERM');
  t.equal(end.code, 0);
  t.ok(end.ms < HANG, `cluster, workers exit(0) on SIGTERM: primary gone ${end.ms} ms after SIGTERM (workers and primary each bounded)`);
});

t.test('no collector at all (connection refused): prompt exits, exit codes unchanged', async (t) => {
  const url = await closedPort();
  const job = await runJob(webhookEnv(url, 'job-none', { ...CADENCE, JOB_REQUESTS: '5', JOB_EXIT: '3' }));
  t.equal(job.code, 3);
  t.ok(job.afterDoneMs >= 0 && job.afterDoneMs < HANG, `process.exit(3): exit ${job.afterDoneMs} ms after the last line`);
  t.equal(job.stderr, '', 'nothing on stderr');
  const crash = await startApp('crash-timer.cjs', webhookEnv(url, 'crash-none', CADENCE));
  t.teardown(async () => { await crash.stop(); });
  const t0 = Date.now();
  get(`${crash.url}/boom`).catch(() => undefined);
  const crashed = await crash.stop('SIGCONT');
  t.equal(crashed.code, 1);
  t.ok(Date.now() - t0 < HANG, `uncaught exception: exit ${Date.now() - t0} ms after the request that throws`);
});
