// The webhook readiness probe over real TLS: verified with the caBundle the API server uses.
import t from 'tap';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { httpProbe } from '../../src/controller/probe.js';
import { loopbackServingCert } from '../e2e/pki.js';

const served = loopbackServingCert('probe-test-ca');
const other = loopbackServingCert('another-ca');
let status = 200;
const server = createServer({ cert: served.certPem, key: served.keyPem }, (req, res) => {
  res.writeHead(req.url === '/readyz' ? status : 404);
  res.end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;

t.test('ready when it answers 200 with a certificate its caBundle verifies', async (t) => {
  const probe = httpProbe(url, async () => ({ pem: served.caPem, detail: 'otel-injector' }));
  t.match(await probe(), { ready: true, detail: /answered 200/ });
  status = 503;
  t.match(await probe(), { ready: false, detail: /answered 503/ }, 'a draining webhook is not ready');
  status = 200;
});

t.test('not ready when the caBundle does not verify the served certificate (what the API server would refuse)', async (t) => {
  const probe = httpProbe(url, async () => ({ pem: other.caPem, detail: 'otel-injector' }));
  const r = await probe();
  t.equal(r.ready, false);
  t.match(r.detail, /the caBundle of the webhook configuration does not verify its certificate \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
});

t.test('no caBundle to be had: the probe still runs, unverified, and says so', async (t) => {
  const r = await httpProbe(url, async () => ({ pem: undefined, detail: 'get mutatingwebhookconfiguration otel-injector: HTTP 403 forbidden' }))();
  t.equal(r.ready, true);
  t.match(r.detail, /TLS not verified: get mutatingwebhookconfiguration otel-injector: HTTP 403/);
});

t.test('nothing listening: not ready; no probe URL: never blocks', async (t) => {
  const closed = httpProbe('https://127.0.0.1:1/readyz', async () => ({ pem: served.caPem, detail: 'x' }), 500);
  t.equal((await closed()).ready, false);
  t.same(await httpProbe(undefined)(), { ready: true, detail: 'no probe configured' });
});
