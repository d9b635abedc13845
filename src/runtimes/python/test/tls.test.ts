// Issue 21, Python payload: export over TLS to a real OTLP/HTTP receiver with a private CA, with mTLS and a
// header key, the files laid out like the mounted collector Secret (the paths the webhook gives); a CA rotated
// in that directory (as the kubelet updates a Secret volume) is used by the running process with nothing lost;
// a wrong CA or key leaves the app running and says so in one otel-injector: line.
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { clientCert, collectorPki, injectorLines, runToEnd, secretDir, tickNames, type IssuedPair, type Run } from '../../../../test/support/collector-pki.js';
import { pythonEnv, type Env } from './support/app.js';
import { startReceiver, type Receiver, type ReceiverState } from './support/otlp.js';
import { ensurePayload, interpreter, testedPythons } from './support/python.js';

await ensurePayload();

// `ticks` spans tick-0, tick-1, ... one every `every` ms, then exits 0 (the exit flush sends the rest). The
// interpreter has no OpenTelemetry of its own: the spans are made through the payload's vendored API.
const APP = `
import sys, time
from _otel_injector_vendor.opentelemetry import trace
tracer = trace.get_tracer("ticks")
n, every = int(sys.argv[1]), float(sys.argv[2]) / 1000
for i in range(n):
    with tracer.start_as_current_span("tick-%d" % i):
        pass
    time.sleep(every)
print("app done", n)
`;

function runApp(python: string, env: Env, ticks: number, everyMs: number): Promise<Run> {
  return runToEnd(python, ['-c', APP, String(ticks), String(everyMs)], { env: env as NodeJS.ProcessEnv });
}

const ticks = (s: ReceiverState): Set<string> => tickNames(s.spans);
const { serverA, serverB, client, ...pki } = await collectorPki();

async function tlsReceiver(t: Test, server: IssuedPair, clientCa?: IssuedPair): Promise<Receiver> {
  const tls = { key: server.keyPem, cert: server.certPem, ...(clientCa === undefined ? {} : { ca: clientCa.certPem, requestCert: true }) };
  const receiver = await startReceiver({ tls });
  t.teardown(() => receiver.close());
  return receiver;
}

function env(receiver: Receiver, dir: string, extra: Env = {}): Env {
  return pythonEnv(receiver.url, 'orders-api', {
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'ca.crt'),
    ...extra,
  });
}

// The lowest supported CPython and 3.13 (the ssl module's defaults differ: 3.13 verifies strictly).
for (const minor of testedPythons()) {
  const python = interpreter(minor);

  t.test(`CPython ${minor}: server TLS with a private CA`, async (t) => {
    const receiver = await tlsReceiver(t, serverA);
    const dir = (await secretDir(t, { 'ca.crt': pki.a.certPem })).path;
    const run = await runApp(python, env(receiver, dir), 5, 20);
    t.equal(run.code, 0, run.stderr);
    t.match(run.stdout, /app done 5/);
    t.same(injectorLines(run), [], 'nothing to say');
    const st = await receiver.waitFor((s) => ticks(s).size === 5, 10_000);
    t.equal(ticks(st).size, 5, 'every span received over TLS');
    t.same(receiver.tlsErrors, []);
  });

  t.test(`CPython ${minor}: mTLS and an ingestion key header`, async (t) => {
    const receiver = await tlsReceiver(t, serverA, pki.clients);
    const dir = (await secretDir(t, { 'ca.crt': pki.a.certPem, 'tls.crt': client.certPem, 'tls.key': client.keyPem })).path;
    const run = await runApp(python, env(receiver, dir, {
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: join(dir, 'tls.crt'),
      OTEL_EXPORTER_OTLP_CLIENT_KEY: join(dir, 'tls.key'),
      OTEL_EXPORTER_OTLP_HEADERS: 'signoz-ingestion-key=k-123',
    }), 3, 20);
    t.equal(run.code, 0, run.stderr);
    t.same(injectorLines(run), []);
    const st = await receiver.waitFor((s) => ticks(s).size === 3, 10_000);
    t.ok(st.requests.every((r) => r.clientCertificate === 'orders-api'), 'every request came with the client certificate');
    t.ok(st.requests.every((r) => r.headers['signoz-ingestion-key'] === 'k-123'), 'and with the key header');
  });

  t.test(`CPython ${minor}: a wrong CA, a missing client certificate, a key that does not match, a missing CA file: the app runs, one line`, async (t) => {
    const other = await clientCert(pki.clients, 'other');
    const cases: Array<[string, Record<string, string>, boolean, RegExp]> = [
      ['wrong CA', { 'ca.crt': pki.other.certPem }, false, /CERTIFICATE_VERIFY_FAILED|certificate verify failed/],
      ['no client certificate for an mTLS collector', { 'ca.crt': pki.a.certPem }, true, /failed/],
      ['a key that is not the certificate\'s', { 'ca.crt': pki.a.certPem, 'tls.crt': client.certPem, 'tls.key': other.keyPem }, true, /KEY_VALUES_MISMATCH|key values mismatch|SSLError/],
      ['no CA file (the namespace has no Secret yet)', { 'other.txt': 'x' }, false, /FileNotFoundError|No such file/],
    ];
    for (const [what, files, mtls, reason] of cases) {
      const receiver = await tlsReceiver(t, serverA, mtls ? pki.clients : undefined);
      const dir = (await secretDir(t, files)).path;
      const extra: Env = 'tls.crt' in files ? { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: join(dir, 'tls.crt'), OTEL_EXPORTER_OTLP_CLIENT_KEY: join(dir, 'tls.key') } : {};
      const run = await runApp(python, env(receiver, dir, extra), 5, 20);
      t.equal(run.code, 0, `${what}: the app exits 0`);
      t.match(run.stdout, /app done 5/, `${what}: the app ran to its end`);
      const lines = injectorLines(run);
      t.equal(lines.length, 1, `${what}: one line (${lines.join(' | ')})`);
      t.match(lines[0] ?? '', /^otel-injector: python: export of traces to https:\/\/127\.0\.0\.1:\d+\/v1\/traces failed/, `${what}: it says what failed`);
      t.match(lines[0] ?? '', reason, `${what}: and why`);
      t.equal(ticks(receiver).size, 0, `${what}: nothing accepted`);
    }
  });

  t.test(`CPython ${minor}: a CA rotated in the mounted directory is used by the running process, nothing lost`, async (t) => {
    const receiver = await tlsReceiver(t, serverA);
    const secret = await secretDir(t, { 'ca.crt': pki.a.certPem });
    const dir = secret.path;
    const total = 120;
    const running = runApp(python, env(receiver, dir), total, 50); // about 6 s
    await receiver.waitFor((s) => ticks(s).size > 0, 15_000);
    // The renewal as cert-manager and trust-manager do it: the bundle first holds both CAs, the collector then
    // serves a certificate of the new CA, and the old CA leaves the bundle.
    await secret.write({ 'ca.crt': pki.a.certPem + pki.b.certPem });
    await new Promise((r) => setTimeout(r, 800));
    const before = ticks(receiver).size;
    receiver.setTls({ key: serverB.keyPem, cert: serverB.certPem });
    const switched = Date.now();
    await receiver.waitFor((s) => ticks(s).size > before, 10_000);
    const firstAfter = Date.now() - switched;
    await secret.write({ 'ca.crt': pki.b.certPem });
    const run = await running;
    t.equal(run.code, 0, run.stderr);
    t.same(injectorLines(run), [], "no export failed");
    const st = await receiver.waitFor((s) => ticks(s).size === total, 10_000).catch(() => receiver);
    t.equal(ticks(st).size, total, `every span of the ${total} arrived across the rotation`);
    t.comment(`first export accepted under the new CA ${firstAfter} ms after the collector switched (batch delay 200 ms)`);
  });

  t.test(`CPython ${minor}: an ingestion key renewed in the mounted headers file is sent by the running process`, async (t) => {
    const receiver = await tlsReceiver(t, serverA);
    const secret = await secretDir(t, { 'ca.crt': pki.a.certPem, headers: 'signoz-ingestion-key=key-1' });
    const dir = secret.path;
    const total = 60;
    // As the webhook sets it: the variable from the Secret (read at start) and the same key as a file.
    const running = runApp(python, env(receiver, dir, {
      OTEL_EXPORTER_OTLP_HEADERS: 'signoz-ingestion-key=key-1',
      OTEL_INJECTOR_HEADERS_FILE: join(dir, 'headers'),
    }), total, 50);
    await receiver.waitFor((s) => s.requests.length > 0, 15_000);
    await secret.write({ 'ca.crt': pki.a.certPem, headers: 'signoz-ingestion-key=key-2' });
    const renewed = Date.now();
    await receiver.waitFor((s) => s.requests.some((r) => r.headers['signoz-ingestion-key'] === 'key-2'), 10_000);
    const after = Date.now() - renewed;
    const run = await running;
    t.equal(run.code, 0, run.stderr);
    const keys = receiver.requests.map((r) => r.headers['signoz-ingestion-key']);
    t.equal(keys[0], 'key-1', 'the first exports with the first key');
    t.equal(keys.at(-1), 'key-2', 'the last with the renewed one');
    t.notOk(keys.slice(keys.indexOf('key-2')).includes('key-1'), 'never the old key again once renewed');
    const st = await receiver.waitFor((s) => ticks(s).size === total, 10_000).catch(() => receiver);
    t.equal(ticks(st).size, total, 'nothing lost');
    t.comment(`first export with the renewed key ${after} ms after the file changed (batch delay 200 ms)`);
  });
}
