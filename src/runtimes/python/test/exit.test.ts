// A short-lived script (a Job, a CLI, a one-shot probe) exports what it recorded when it exits, on every
// CPython minor the payload ships: the atexit flush must work where CPython 3.12 refuses to start new
// threads during finalization ("can't create new thread at interpreter shutdown"). The script's span is made
// through its own opentelemetry-api (installed in its venv, bridged to our vendored SDK).
import { spawn } from 'node:child_process';
import t from 'tap';
import { pythonEnv } from './support/app.js';
import { startReceiver } from './support/otlp.js';
import { MINORS, ensurePayload, ensureVenv } from './support/python.js';

await ensurePayload();
const SCRIPT = [
  'from opentelemetry import trace',
  'with trace.get_tracer("exit-test").start_as_current_span("short-lived-work"):',
  '    pass',
].join('\n');

function run(python: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', SCRIPT], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

// The script's own API: a release every minor 3.9-3.13 installs (not ours: bridged).
const API = ['opentelemetry-api==1.39.1', 'importlib-metadata==8.7.1', 'zipp==3.23.0', 'typing-extensions==4.15.0'];

for (const minor of MINORS) {
  t.test(`CPython ${minor}: a script that ends right after its span exports it at exit`, async (t) => {
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const service = `exit-${minor}`;
    const venv = await ensureVenv('exit-api', minor, API);
    const ran = await run(venv.python, pythonEnv(receiver.url, service, { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '60000' }));
    t.equal(ran.code, 0, 'the script exits 0');
    t.equal(ran.stderr, '', 'nothing on stderr');
    // The export happened before the process ended (the flush is synchronous at exit): it is already here.
    const span = receiver.spans.find((s) => s.resource['service.name'] === service);
    t.equal(span?.name, 'short-lived-work', 'the span reached the receiver before the process exited');
  });
}
