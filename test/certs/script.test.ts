// scripts/certs.mjs (npm run certs): writes a CA and a serving cert that a real TLS client trusting
// only that CA accepts, for localhost, 127.0.0.1 and the chart's Service names.
import t from 'tap';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpsGet } from './helpers.js';

const run = promisify(execFile);

t.test('npm run certs writes ca.crt, tls.crt, tls.key that work together', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'otel-certs-script-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const { stdout } = await run(process.execPath, ['scripts/certs.mjs', '--out', out, '--days', '30']);
  t.match(stdout, /issued in \d+ ms/);
  t.notMatch(stdout, /PRIVATE KEY/);
  const [ca, cert, key] = await Promise.all(['ca.crt', 'tls.crt', 'tls.key'].map((f) => readFile(join(out, f), 'utf8')));
  t.equal((await stat(join(out, 'tls.key'))).mode & 0o777, 0o600, 'key is 0600');
  const leaf = new X509Certificate(cert ?? '');
  const caCert = new X509Certificate(ca ?? '');
  t.ok(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey));
  for (const host of [
    'localhost',
    'otel-injector',
    'otel-injector.otel-injector',
    'otel-injector.otel-injector.svc',
    'otel-injector.otel-injector.svc.cluster.local',
  ]) {
    t.equal(leaf.checkHost(host), host, host);
  }
  t.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  const days = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
  t.ok(days > 29.9 && days <= 30, `valid ${days.toFixed(2)} days`);

  const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (_req, res) => res.end('dev'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  t.equal((await httpsGet(port, ca ?? '', { servername: 'otel-injector.otel-injector.svc' })).body, 'dev');
  t.equal((await httpsGet(port, ca ?? '', { servername: 'localhost' })).body, 'dev');
});
