// src/certs/issue.ts: real X.509 chains checked with node:crypto, and real TLS handshakes.
import t from 'tap';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { BACKDATE_MS, issueCa, issueChain, issueServingCert, serviceHosts } from '../../src/certs/issue.js';
import { chainsTo, coversHosts, validatePair } from '../../src/certs/pem.js';
import { httpsGet } from './helpers.js';

const now = new Date();
const hosts = ['localhost', '127.0.0.1', ...serviceHosts('otel-injector', 'otel-injector')];

t.test('issueChain: the serving certificate chains to the CA and has the promised properties', async (t) => {
  const chain = await issueChain(hosts, 30, 300, now);
  const ca = new X509Certificate(chain.ca.certPem);
  const leaf = new X509Certificate(chain.serving.certPem);

  t.ok(ca.ca, 'CA has basicConstraints CA:TRUE');
  t.notOk(leaf.ca, 'leaf is not a CA');
  t.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey), 'CA is self-signed');
  t.ok(leaf.checkIssued(ca), 'leaf issuer is the CA subject');
  t.ok(leaf.verify(ca.publicKey), 'leaf signature verifies with the CA key');
  t.match(ca.subject, /CN=otel-injector-ca-\d+/);
  // names are PrintableString: Go's x509 (kube-apiserver) rejects other characters
  for (const value of [...ca.subject.split('\n'), ...leaf.subject.split('\n')].map((rdn) => rdn.replace(/^[A-Z]+=/, ''))) {
    t.match(value, /^[A-Za-z0-9 '()+,\-./:=?]+$/, `PrintableString: ${value}`);
  }
  t.match(ca.subject, /O=otel-injector/);
  t.equal(leaf.issuer, ca.subject);
  t.match(leaf.subject, /CN=localhost/);
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extKeyUsage is serverAuth only');
  t.ok(coversHosts(leaf, hosts), 'SANs cover every host');
  t.equal(
    leaf.subjectAltName,
    'DNS:localhost, IP Address:127.0.0.1, DNS:otel-injector, DNS:otel-injector.otel-injector, ' +
      'DNS:otel-injector.otel-injector.svc, DNS:otel-injector.otel-injector.svc.cluster.local',
  );
  t.notOk(coversHosts(leaf, ['other.example']), 'does not cover an unrelated name');
  t.equal(Date.parse(leaf.validFrom), Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000, 'notBefore backdated');
  t.equal(Date.parse(leaf.validTo), Math.floor((now.getTime() + 30 * 86_400_000) / 1000) * 1000, 'leaf validity');
  t.equal(Date.parse(ca.validTo), Math.floor((now.getTime() + 300 * 86_400_000) / 1000) * 1000, 'CA validity');
  t.ok(leaf.checkPrivateKey(createPrivateKey(chain.serving.keyPem)), 'the key belongs to the certificate');
  t.equal(validatePair(chain.serving.certPem, chain.serving.keyPem).serialNumber, leaf.serialNumber);
  t.throws(() => validatePair(chain.serving.certPem, chain.ca.keyPem), /does not match/, 'a foreign key is refused');
  t.ok(chainsTo(leaf, chain.ca.certPem));
  t.match(chain.serving.keyPem, /^-----BEGIN PRIVATE KEY-----/);
});

t.test('serials are random, positive and distinct', async (t) => {
  const ca = await issueCa({ commonName: 'test-ca', validityDays: 10, now });
  const serials = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const leaf = new X509Certificate((await issueServingCert(ca, { hosts: ['localhost'], validityDays: 1, now })).certPem);
    t.equal(leaf.serialNumber.length, 32, '128-bit serial');
    t.ok(Number.parseInt(leaf.serialNumber.slice(0, 2), 16) < 0x80, 'positive');
    serials.add(leaf.serialNumber);
  }
  t.equal(serials.size, 4);
});

t.test('a serving certificate never outlives its CA', async (t) => {
  const ca = await issueCa({ commonName: 'short-ca', validityDays: 2, now });
  const leaf = new X509Certificate((await issueServingCert(ca, { hosts: ['localhost'], validityDays: 365, now })).certPem);
  t.equal(leaf.validTo, new X509Certificate(ca.certPem).validTo);
});

t.test('a certificate from another CA does not chain', async (t) => {
  const a = await issueChain(['localhost'], 1, 10, now);
  const b = await issueChain(['localhost'], 1, 10, now);
  t.notOk(chainsTo(new X509Certificate(a.serving.certPem), b.ca.certPem));
  t.ok(chainsTo(new X509Certificate(a.serving.certPem), b.ca.certPem + a.ca.certPem), 'found in a two-CA bundle');
});

t.test('real TLS: a client trusting only the CA completes the handshake for DNS and IP names', async (t) => {
  const chain = await issueChain(['localhost', '127.0.0.1'], 1, 10, now);
  const server = createServer({ cert: chain.serving.certPem, key: chain.serving.keyPem, minVersion: 'TLSv1.2' }, (_req, res) =>
    res.end('ok'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;

  const viaName = await httpsGet(port, chain.ca.certPem, { servername: 'localhost' });
  t.equal(viaName.body, 'ok');
  t.equal(viaName.serial, new X509Certificate(chain.serving.certPem).serialNumber);

  // IP SAN: no SNI, hostname check against 127.0.0.1
  const ipOk = await new Promise<boolean>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: chain.ca.certPem, rejectUnauthorized: true }, () => {
      resolve(socket.authorized);
      socket.end();
    });
    socket.on('error', reject);
  });
  t.ok(ipOk, 'authorized for 127.0.0.1');

  const other = await issueChain(['localhost'], 1, 10, now);
  await t.rejects(httpsGet(port, other.ca.certPem), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'another CA is not trusted');
  await t.rejects(httpsGet(port, chain.ca.certPem, { servername: 'evil.example' }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });

  const tls11 = await new Promise<string>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: chain.ca.certPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () =>
      resolve('connected'),
    );
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  t.not(tls11, 'connected', `TLS 1.1 refused (${tls11})`);
});

t.test('issue timing (CA + serving certificate, RSA 2048)', async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await issueChain(['localhost', '127.0.0.1'], 365, 3650, new Date());
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  t.comment(`issueChain ms: min ${Math.round(times[0] ?? 0)} median ${Math.round(times[2] ?? 0)} max ${Math.round(times[4] ?? 0)}`);
  t.ok((times[2] ?? Infinity) < 5000, 'median under 5 s even on a loaded machine');
});
