// A fork never deadlocks, whatever the other threads hold (issue: gunicorn's workers hung forever in the
// SDK's after-fork resource detection). apps/fork/torture.py forks while a span export and a log export
// hang on a collector that never answers, a metric collection is blocked in a callback, and other threads
// hold each lock of the payload (and a logging handler's, and fork.guard() around a slow lazy import).
// The child must run, be its own source (pid, service.instance.id, fresh metrics) and export what it did.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { pythonEnv } from './support/app.js';
import { startReceiver } from './support/otlp.js';
import { APPS } from './support/paths.js';
import { MINORS, ensurePayload, interpreter } from './support/python.js';

await ensurePayload();
const INSTANCE = 'bakery-ia.orders-6f9c7d-h2k4p.orders';

function run(python: string, env: Record<string, string | undefined>, script = 'torture.py', args: string[] = []): Promise<{ code: number | null; out: Record<string, string>; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, [join(APPS, 'fork', script), ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const out: Record<string, string> = {};
      for (const line of stdout.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
      }
      resolve({ code, out, stdout, stderr });
    });
  });
}

for (const minor of MINORS) {
  t.test(`CPython ${minor}: a child forked while every lock is held runs and is its own source`, async (t) => {
    const receiver = await startReceiver({ holdFirst: 1 });
    t.teardown(() => receiver.close());
    const service = `fork-${minor}`;
    const env = pythonEnv(receiver.url, service, {
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_BLRP_SCHEDULE_DELAY: '20',
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
      OTEL_PYTHON_DISABLED_INSTRUMENTATIONS: 'system-metrics',
      OTEL_RESOURCE_ATTRIBUTES: `k8s.namespace.name=bakery-ia,service.instance.id=${INSTANCE}`,
    });
    const ran = await run(interpreter(minor), env);
    t.comment(`fork call ${ran.out.fork_call_s} s, child ready ${ran.out.child_ready_s} s after the fork`);
    t.equal(ran.code, 0, 'the parent ends normally', { stdout: ran.stdout, stderr: ran.stderr });
    t.equal(ran.out.exports_in_flight, 'True', 'a span export and a log export hung on the collector at the fork');
    t.equal(ran.out.collect_blocked, 'True', 'a metric collection was blocked at the fork');
    t.equal(ran.out.held, 'exporter-in-flight,import-hooks,lazy-import,lazy-logger,lazy-meter-materialize,lazy-metrics-buffer,logging-handler', 'every lock was held by another thread');
    t.equal(ran.out.child_exit, '0', 'the child ran to its end (no deadlock) and exited 0');
    t.equal(ran.out.child_slow_module, '42', 'the module a thread was importing at the fork is whole in the child');
    t.ok(Number(ran.out.child_ready_s) < 1, `the child served within 1 s of the fork (${ran.out.child_ready_s} s)`);
    const childPid = Number(ran.out.child_pid);
    const parentPid = Number(ran.out.parent_pid);

    await receiver.waitFor((st) => st.spans.some((s) => s.name === 'child-work') && st.logs.some((l) => l.body === 'child log')
      && st.metrics.some((m) => m.name === 'torture.work' && m.resource['process.pid'] === childPid), 15000);
    const childSpan = receiver.spans.find((s) => s.name === 'child-work');
    t.equal(childSpan?.resource['process.pid'], childPid, "the child's span carries the child's pid");
    t.equal(childSpan?.resource['service.instance.id'], `${INSTANCE}.${childPid}`, "the child's service.instance.id is the container's plus its pid");
    t.equal(childSpan?.traceId, ran.out.child_trace_id, 'the span is the one the child recorded');
    const parentSpans = receiver.spans.filter((s) => s.name === 'parent-work');
    t.ok(parentSpans.length >= 1 && parentSpans.every((s) => s.resource['process.pid'] === parentPid && s.resource['service.instance.id'] === INSTANCE),
      "the parent's spans are exported by the parent only, with the container's service.instance.id");
    const childLog = receiver.logs.find((l) => l.body === 'child log');
    t.equal(childLog?.traceId, ran.out.child_trace_id, "the child's log record carries the child's trace id");
    t.equal(childLog?.resource['process.pid'], childPid);
    t.notOk(receiver.logs.some((l) => String(l.body).startsWith('parent log') && l.resource['process.pid'] === childPid), 'no parent log record is exported by the child');
    const childCounts = receiver.metrics.filter((m) => m.name === 'torture.work' && m.resource['process.pid'] === childPid).flatMap((m) => m.points.map((p) => p.value));
    t.same(childCounts, [2], "the child's counter holds only what the child added (2), nothing of the parent's 5");
    t.same(receiver.errors, [], 'every request decoded');
  });
}

// multiprocessing's children end with os._exit() (fork, forkserver) or at interpreter exit (spawn), and
// Pool.__exit__ terminates them (SIGTERM) while they may be flushing at exit already: on CPython 3.12 that
// flush runs inline, and the handler's own flush used to wait forever for the lock the interrupted one held.
for (const minor of ['3.9', '3.12', '3.13']) {
  for (const method of ['fork', 'forkserver', 'spawn']) {
    t.test(`CPython ${minor}: a multiprocessing Pool (${method}) exports every task's span and ends`, async (t) => {
      const receiver = await startReceiver();
      t.teardown(() => receiver.close());
      const service = `pool-${method}-${minor}`;
      const env = pythonEnv(receiver.url, service, {
        OTEL_BSP_SCHEDULE_DELAY: '30000', // the first user's cadence: only the flush at the end exports
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${INSTANCE}`,
      });
      const ran = await run(interpreter(minor), env, 'pool.py', [method]);
      t.equal(ran.code, 0, "the pool's program ends (no hang)", { stderr: ran.stderr });
      const workers = (ran.out.workers ?? '').split(',').filter((p) => p !== '').map(Number);
      t.ok(workers.length >= 1, `workers ${workers.join(', ')}`);
      await receiver.waitFor((st) => st.spans.filter((s) => s.resource['service.name'] === service).length >= 6, 10000).catch(() => undefined);
      const spans = receiver.spans.filter((s) => s.resource['service.name'] === service);
      t.same(spans.map((s) => s.name).sort(), ['task-0', 'task-1', 'task-2', 'task-3', 'task-4', 'task-5'], 'every task span arrived, once');
      t.ok(spans.every((s) => workers.includes(Number(s.resource['process.pid']))), 'each from the worker that ran it');
      t.ok(spans.every((s) => s.resource['service.instance.id'] === `${INSTANCE}.${String(s.resource['process.pid'])}`), "with the worker's own service.instance.id");
    });
  }
}

for (const minor of ['3.9', '3.12', '3.13']) {
  t.test(`CPython ${minor}: a child forked during the parent's flush still ends by its SIGTERM`, async (t) => {
    const receiver = await startReceiver({ holdFirst: 1 });
    t.teardown(() => receiver.close());
    const env = pythonEnv(receiver.url, `flushing-${minor}`, { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '30000' });
    const ran = await run(interpreter(minor), env, 'flushing.py');
    t.equal(ran.code, 0, 'the parent ends', { stderr: ran.stderr });
    t.equal(ran.out.child, 'signal 15', 'the child died by its SIGTERM (not deferred behind a flush it never ran)');
  });
}
