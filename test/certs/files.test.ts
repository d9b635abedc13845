// src/certs/files.ts: a Kubernetes-style Secret volume (`..data` symlink swap), a live HTTPS
// server swapping its context, half-written pairs ignored, polling without a watch.
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { Agent, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesSource } from '../../src/certs/files.js';
import { issueCa, issueServingCert, type IssuedPair } from '../../src/certs/issue.js';
import type { TlsMaterial } from '../../src/certs/types.js';
import { certClock, captureLogger, httpsGet } from './helpers.js';

const now = new Date();
const hosts = ['localhost', '127.0.0.1'];

/** Writes a pair the way kubelet's atomic writer does: new timestamped dir, `..data` swapped by rename. */
async function atomicWrite(dir: string, generation: string, pair: { cert: string; key: string }): Promise<void> {
  const data = join(dir, `..${generation}`);
  await mkdir(data);
  await writeFile(join(data, 'tls.crt'), pair.cert);
  await writeFile(join(data, 'tls.key'), pair.key);
  await symlink(`..${generation}`, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
}

async function secretVolume(pair: IssuedPair): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'otel-certs-'));
  await atomicWrite(dir, 'gen1', { cert: pair.certPem, key: pair.keyPem });
  await symlink('..data/tls.crt', join(dir, 'tls.crt'));
  await symlink('..data/tls.key', join(dir, 'tls.key'));
  return dir;
}

/** A CA, two serving certificates from it, and a Secret-like volume holding the first (removed at teardown). */
async function rotatingVolume(t: Test): Promise<{ ca: IssuedPair; first: IssuedPair; second: IssuedPair; dir: string }> {
  const ca = await issueCa({ commonName: 'files-ca', validityDays: 10, now });
  const first = await issueServingCert(ca, { hosts, validityDays: 1, now });
  const second = await issueServingCert(ca, { hosts, validityDays: 2, now });
  const dir = await secretVolume(first);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return { ca, first, second, dir };
}

function serial(pem: string): string {
  return new X509Certificate(pem).serialNumber;
}

function nextChange(source: FilesSource): Promise<TlsMaterial> {
  return new Promise((resolve) => source.onChange(resolve));
}

t.test('a ..data symlink swap reaches a live server: new connections get the new cert, old ones keep working', async (t) => {
  const { ca, first, second, dir } = await rotatingVolume(t);
  const log = captureLogger();
  const source = new FilesSource(
    { logger: log.logger, clock: certClock() },
    { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), checkIntervalSeconds: 3600 },
  );
  const material = await source.start();
  t.teardown(() => source.stop());
  t.ok(source.isReady());
  t.equal(source.expiry()?.toISOString(), new Date(new X509Certificate(first.certPem).validTo).toISOString());

  const server = createServer({ ...material, minVersion: 'TLSv1.2' }, (_req, res) => res.end('ok'));
  source.onChange((next) => server.setSecureContext({ ...next, minVersion: 'TLSv1.2' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem });
  t.teardown(() => keepAlive.destroy());

  const before = await httpsGet(port, ca.certPem, { agent: keepAlive });
  t.equal(before.serial, serial(first.certPem), 'serves the first certificate');

  const changed = nextChange(source);
  await atomicWrite(dir, 'gen2', { cert: second.certPem, key: second.keyPem });
  const next = await changed;
  t.equal(serial(next.cert), serial(second.certPem), 'onChange carries the new pair (from the directory watch)');

  const fresh = await httpsGet(port, ca.certPem);
  t.equal(fresh.serial, serial(second.certPem), 'a new connection gets the new certificate');
  const old = await httpsGet(port, ca.certPem, { agent: keepAlive });
  t.equal(old.status, 200, 'the kept-alive connection still works');
  t.equal(old.serial, serial(first.certPem), '...on the same TLS connection as before');
  t.equal(source.expiry()?.toISOString(), new Date(new X509Certificate(second.certPem).validTo).toISOString());
  t.notMatch(log.text(), /PRIVATE KEY/, 'no key in logs');
});

t.test('a half-written or invalid pair is ignored with a warning and the old one kept', async (t) => {
  const { ca, first, second, dir } = await rotatingVolume(t);
  const log = captureLogger();
  const source = new FilesSource(
    { logger: log.logger, clock: certClock() },
    { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), checkIntervalSeconds: 3600, watch: false },
  );
  await source.start();
  t.teardown(() => source.stop());
  let changes = 0;
  source.onChange(() => changes++);

  await atomicWrite(dir, 'gen2', { cert: second.certPem, key: first.keyPem });
  t.equal(await source.checkNow(), false, 'mismatched key: not loaded');
  await atomicWrite(dir, 'gen3', { cert: second.certPem.slice(0, 300), key: second.keyPem });
  t.equal(await source.checkNow(), false, 'truncated certificate: not loaded');
  await atomicWrite(dir, 'gen4', { cert: second.certPem, key: '' });
  t.equal(await source.checkNow(), false, 'empty key: not loaded');
  t.equal(changes, 0);
  t.equal(source.expiry()?.toISOString(), new Date(new X509Certificate(first.certPem).validTo).toISOString(), 'old one kept');
  const warnings = log.lines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: string }).filter((l) => l.level === 40);
  t.equal(warnings.length, 3, 'one warning per bad pair');
  t.match(warnings[0]?.err, /does not match/);

  await atomicWrite(dir, 'gen5', { cert: second.certPem, key: second.keyPem });
  t.equal(await source.checkNow(), true, 'the complete pair is loaded');
  t.equal(changes, 1);
  t.notMatch(log.text(), /PRIVATE KEY/);
});

t.test('without a watch the periodic check picks up a change', async (t) => {
  const { ca, first, second, dir } = await rotatingVolume(t);
  const source = new FilesSource(
    { logger: captureLogger().logger, clock: certClock() },
    { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), checkIntervalSeconds: 1, watch: false },
  );
  await source.start();
  t.teardown(() => source.stop());
  const changed = nextChange(source);
  await atomicWrite(dir, 'gen2', { cert: second.certPem, key: second.keyPem });
  const started = Date.now();
  // the source's timers are unref'd (they must not hold a server process open): keep this one alive
  const keepLoopAlive = setTimeout(() => undefined, 10_000);
  t.equal(serial((await changed).cert), serial(second.certPem));
  clearTimeout(keepLoopAlive);
  t.ok(Date.now() - started < 2500, 'within about one interval');
});

t.test('start() rejects when there is no valid pair', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'otel-certs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const source = new FilesSource(
    { logger: captureLogger().logger, clock: certClock() },
    { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), checkIntervalSeconds: 1, startAttempts: 2 },
  );
  await t.rejects(source.start(), { code: 'CERT_UNAVAILABLE' });
  t.notOk(source.isReady());
  await source.stop();
});
