import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import t from 'tap';
import { issueChain } from '../../src/certs/issue.js';
import { deploymentPod, reviewOf } from '../support/admission.js';
import { freePort, httpsCall, startWebhook, waitHealthy } from '../support/webhook-process.js';

t.test('a bad configuration value exits 1 with a clear message', async (t) => {
  for (const [name, value] of [['PORT', 'eighty'], ['INJECT_EXTRA_ENV', '[1]'], ['CERT_MODE', 'magic'], ['INJECT_INIT_CPU_REQUEST', '2'], ['LOG_LEVEL', 'loud'], ['INJECT_RUNTIMES', 'node,ruby']]) {
    const webhook = startWebhook({ [name as string]: value as string }, await freePort());
    t.equal(await webhook.exited, 1, `${name}=${value}`);
    t.match(webhook.output(), new RegExp(`invalid configuration: ${name}`));
  }
});

t.test('files mode: a real HTTPS round trip trusting only the CA, TLS 1.2 minimum', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-injector-'));
  const chain = await issueChain(['localhost', '127.0.0.1'], 30, 300, new Date());
  writeFileSync(join(dir, 'tls.crt'), chain.serving.certPem);
  writeFileSync(join(dir, 'tls.key'), chain.serving.keyPem);
  const webhook = startWebhook({ TLS_CERT_FILE: join(dir, 'tls.crt'), TLS_KEY_FILE: join(dir, 'tls.key') }, await freePort());
  t.teardown(() => webhook.child.kill('SIGKILL'));
  await waitHealthy(webhook);
  const review = reviewOf(deploymentPod());
  const answer = await httpsCall(webhook.port, '/mutate', { ca: chain.ca.certPem, method: 'POST', body: JSON.stringify(review) });
  t.equal(answer.status, 200);
  const response = JSON.parse(answer.body) as { response: { uid: string; patchType: string } };
  t.equal(response.response.uid, review.request?.uid);
  t.equal(response.response.patchType, 'JSONPatch');
  await t.rejects(httpsCall(webhook.port, '/healthz', {}), 'a client without the CA refuses the certificate');
  const legacy = await new Promise<string>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: webhook.port, maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ca: chain.ca.certPem });
    socket.once('secureConnect', () => { resolve('connected'); socket.destroy(); });
    socket.once('error', (error) => resolve(error.message));
  });
  t.not(legacy, 'connected', 'TLS 1.1 is refused');
  t.notOk(webhook.output().includes('PRIVATE KEY'), 'the key is never logged');
});

t.test('no certificate configured: an in-memory self-signed one for localhost', async (t) => {
  const webhook = startWebhook({}, await freePort());
  t.teardown(() => webhook.child.kill('SIGKILL'));
  await waitHealthy(webhook);
  const peer = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: webhook.port, servername: 'localhost', rejectUnauthorized: false });
    socket.once('secureConnect', () => { resolve(socket.getPeerCertificate() as unknown as Record<string, unknown>); socket.destroy(); });
    socket.once('error', reject);
  });
  t.match(String(peer.subjectaltname), /DNS:localhost/);
  t.match(String(peer.subjectaltname), /IP Address:127\.0\.0\.1/);
  t.equal((await httpsCall(webhook.port, '/readyz', { insecure: true })).status, 200);
});

t.test('SIGTERM: readiness 503 at once, reviews still served while draining, then exit 0', async (t) => {
  const webhook = startWebhook({ SHUTDOWN_DRAIN_SECONDS: '2' }, await freePort());
  t.teardown(() => webhook.child.kill('SIGKILL'));
  await waitHealthy(webhook);
  const started = Date.now();
  webhook.child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal((await httpsCall(webhook.port, '/readyz', { insecure: true })).status, 503);
  const review = await httpsCall(webhook.port, '/mutate', { insecure: true, method: 'POST', body: JSON.stringify(reviewOf(deploymentPod())) });
  t.equal(review.status, 200, 'in-flight and new reviews still answered during the drain');
  t.equal(await webhook.exited, 0);
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 1900 && elapsed < 30000, `exited after the drain (${elapsed} ms)`);
});
