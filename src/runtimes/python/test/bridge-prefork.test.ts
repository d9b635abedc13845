// The first user's images carry OpenTelemetry's API (their own setup switched off), and production runs
// pre-forked workers: gunicorn 27 with two sync workers on CPython 3.13, the app importing its OWN
// opentelemetry-api (1.39.1, in its venv) and opening a manual span in each request, injected (our SDK,
// vendored under its private name, bridged to the app's API). Judged after SIGTERM to the master on the
// production cadence: each request's server span and the app's manual span arrive from the worker that
// answered, in the caller's trace, the manual span a child of the server span, no span doubled; inside the
// app, `opentelemetry` is the venv's own 1.39.1 and the current span its API sees is the request's.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { MODELS, modelsEnv, modelsRequirements, startPrefork } from './support/models.js';
import { SERVER, startReceiver } from './support/otlp.js';
import { ensurePayload, ensureVenv } from './support/python.js';

interface Answer { pid: number; n: number; api_file: string; api_version: string; seen_trace: string; manual_span: string; traceId: string }

function manual(url: string, n: number): Promise<Answer | string> {
  const traceId = randomBytes(16).toString('hex');
  const headers = { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, connection: 'close' };
  return new Promise((resolve) => {
    const req = request(`${url}/manual/${n}`, { headers, agent: false, timeout: 20000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => {
        try { resolve({ ...(JSON.parse(body) as Omit<Answer, 'traceId'>), traceId }); } catch { resolve(`${res.statusCode ?? 0} ${body.slice(0, 300)}`); }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 20 s')));
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
}

await ensurePayload();
const venv = await ensureVenv('models-g27-otelapi', '3.13', [...modelsRequirements('3.13', '27'), 'opentelemetry-api==1.39.1']);

t.test("gunicorn -w 2 (sync), the app's own opentelemetry-api 1.39.1 bridged in every worker", async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const g = await startPrefork(venv.bin('gunicorn'), ['-w', '2', '-k', 'sync', '-b', '127.0.0.1:{port}', 'wsgi_api:app'], {
    env: modelsEnv(receiver.url, 'orders'), cwd: MODELS, workers: 2, booted: /Booting worker with pid: (\d+)/, what: 'gunicorn wsgi_api',
  });
  t.teardown(() => g.proc.stop());
  const answers: Answer[] = [];
  const failed: string[] = [];
  // Until both workers have answered (a worker still importing the app on a loaded machine takes no connection
  // yet, and the kernel may hand every one to the other): at most 200 requests, 4 at a time.
  for (let i = 0; i < 200 && (answers.length < 12 || new Set(answers.map((a) => a.pid)).size < 2); i += 4) {
    for (const a of await Promise.all([0, 1, 2, 3].map((k) => manual(g.url, i + k)))) {
      if (typeof a === 'string') failed.push(a); else answers.push(a);
    }
  }
  t.same(failed, [], `every request answered (${answers.length} sent)`);
  const pids = new Set(answers.map((a) => a.pid));
  t.equal(pids.size, 2, `both workers answered (${[...pids].join(', ')})`);
  t.ok(answers.every((a) => a.api_version === '1.39.1' && a.api_file.startsWith(venv.sitePackages())), `the app imports its own opentelemetry-api (${answers[0]?.api_version} from ${answers[0]?.api_file})`);
  t.ok(answers.every((a) => a.seen_trace === a.traceId), "the app's API sees the request's span as current (the caller's trace) in every worker");
  const exit = await g.proc.signal('SIGTERM', 30000);
  t.equal(exit.code, 0, 'the master exits 0 after SIGTERM');
  t.notMatch(g.proc.stderr(), /Traceback|otel-injector:/, 'no traceback, no otel-injector line');

  const missing: string[] = [];
  for (const a of answers) {
    const inTrace = receiver.spans.filter((s) => s.traceId === a.traceId);
    const server = inTrace.filter((s) => s.kind === SERVER);
    const man = inTrace.filter((s) => s.name === `manual ${a.n}`);
    const ok = server.length === 1 && man.length === 1 && man[0]?.parentSpanId === server[0]?.spanId && man[0]?.spanId === a.manual_span
      && server[0]?.resource['process.pid'] === a.pid && man[0]?.resource['process.pid'] === a.pid && man[0]?.scope === 'bakery.manual';
    if (!ok) missing.push(`${a.n}@${a.pid}: ${server.length} server, ${man.length} manual`);
  }
  t.same(missing, [], `each of the ${answers.length} requests: one server span and the app's manual span as its child, from the worker that answered`);
});
