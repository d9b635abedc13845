// src/certs/index.ts: mode selection; ephemeral mode serves a real TLS handshake trusting its CA.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateSource } from '../../src/certs/index.js';
import { EphemeralSource } from '../../src/certs/ephemeral.js';
import type { CertConfig } from '../../src/config/index.js';
import { certClock, captureLogger, httpsGet } from './helpers.js';

const base: CertConfig = {
  mode: 'ephemeral',
  certFile: undefined,
  keyFile: undefined,
  secretName: 'otel-injector-tls',
  namespace: 'otel-injector',
  serviceName: 'otel-injector',
  webhookConfigName: 'otel-injector',
  validityDays: 365,
  checkIntervalSeconds: 60,
};

t.test('ephemeral: in-memory CA + cert for localhost/127.0.0.1, ready, no key in logs', async (t) => {
  const log = captureLogger();
  const source = createCertificateSource(base, { logger: log.logger, clock: certClock() });
  t.ok(source instanceof EphemeralSource);
  t.notOk(source.isReady(), 'not ready before start');
  const material = await source.start();
  t.ok(source.isReady());
  const leaf = new X509Certificate(material.cert);
  t.equal(source.expiry()?.getTime(), Date.parse(leaf.validTo));
  t.ok(leaf.checkHost('localhost') && leaf.checkIP('127.0.0.1'));
  t.same(await source.start(), material, 'start() twice returns the same material');

  const caPem = (source as EphemeralSource).caPem ?? '';
  const server = createServer({ ...material, minVersion: 'TLSv1.2' }, (_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const result = await httpsGet((server.address() as AddressInfo).port, caPem);
  t.equal(result.body, 'hello');
  t.notMatch(log.text(), /PRIVATE KEY/);
  t.match(log.text(), /ephemeral/);
  await source.stop();
});

t.test('files mode without both files is refused', async (t) => {
  const logger = captureLogger().logger;
  t.throws(() => createCertificateSource({ ...base, mode: 'files', certFile: '/x.crt' }, { logger, clock: certClock() }), {
    code: 'CERT_UNAVAILABLE',
  });
});
