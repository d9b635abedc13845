// src/certs/self-managed.ts against the in-memory FakeKubeApi (real 409/resourceVersion and JSON
// patch semantics); the same source against a real kube-apiserver is in test/e2e/certs.test.ts.
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueChain, serviceHosts } from '../../src/certs/issue.js';
import { chainsTo, parseBundle } from '../../src/certs/pem.js';
import { SelfManagedSource } from '../../src/certs/self-managed.js';
import type { CertConfig } from '../../src/config/index.js';
import { KubeApiError } from '../../src/k8s/errors.js';
import { FakeKubeApi } from '../k8s/fake-api.js';
import { DAY_MS, TEST_MWC, certClock, captureLogger, httpsGet, selfManagedConfig, type CapturedLogger } from './helpers.js';
import type { TestClock } from '../support/clock.js';

const DAY = DAY_MS;
const MWC = TEST_MWC;
const SVC_HOST = 'otel-injector.otel-injector.svc';
const config: CertConfig = selfManagedConfig;

function replica(api: FakeKubeApi, clock: TestClock, log: CapturedLogger, name = 'r'): SelfManagedSource {
  return new SelfManagedSource({ logger: log.logger.child({ replica: name }), clock, api }, config, {
    overlapMs: 60_000,
    notReadyRetryMs: 3_600_000,
  });
}

function secretData(api: FakeKubeApi): Record<string, string> {
  return api.secrets.get('otel-injector/otel-injector-tls')?.data ?? {};
}

async function serve(t: Test, source: SelfManagedSource, material: { cert: string; key: string }): Promise<number> {
  const server: Server = createServer({ ...material, minVersion: 'TLSv1.2' }, (_req, res) => res.end('ok'));
  source.onChange((next) => server.setSecureContext({ ...next, minVersion: 'TLSv1.2' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return (server.address() as AddressInfo).port;
}

t.test('starting with nothing: writes the Secret and every caBundle, serves a trusted cert, becomes ready', async (t) => {
  const api = new FakeKubeApi();
  api.addWebhookConfig(MWC, ['pods.otel-injector.dev', 'pods-ns.otel-injector.dev']);
  const log = captureLogger();
  const source = replica(api, certClock(), log);
  t.notOk(source.isReady());
  const material = await source.start();
  t.teardown(() => source.stop());

  const data = secretData(api);
  t.same(Object.keys(data).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  t.equal(api.secrets.get('otel-injector/otel-injector-tls')?.type, 'kubernetes.io/tls');
  t.equal(material.cert, data['tls.crt']);
  const leaf = new X509Certificate(material.cert);
  for (const host of serviceHosts('otel-injector', 'otel-injector')) t.equal(leaf.checkHost(host), host, `SAN ${host}`);
  const bundles = api.caBundles(MWC);
  t.equal(bundles.length, 2);
  t.equal(bundles[0], data['ca.crt'], 'first webhook caBundle = ca.crt');
  t.equal(bundles[1], data['ca.crt'], 'second webhook caBundle = ca.crt');
  t.ok(chainsTo(leaf, bundles[0] ?? ''));
  t.ok(source.isReady());
  t.equal(source.expiry()?.getTime(), Date.parse(leaf.validTo));

  const port = await serve(t, source, material);
  const result = await httpsGet(port, bundles[0] ?? '', { servername: SVC_HOST });
  t.equal(result.body, 'ok', 'TLS handshake trusting only the caBundle');
  t.notMatch(log.text(), /PRIVATE KEY/);

  // nothing to do on the next check: no writes
  const writes = api.count('patchSecret') + api.count('setCaBundles');
  t.ok(await source.checkNow());
  t.equal(api.count('patchSecret') + api.count('setCaBundles'), writes, 'steady state makes no writes');
});

t.test('not ready while the MutatingWebhookConfiguration is missing; ready once it exists', async (t) => {
  const api = new FakeKubeApi();
  const source = replica(api, certClock(), captureLogger());
  await source.start();
  t.teardown(() => source.stop());
  t.ok(api.secrets.size === 1, 'Secret written anyway');
  t.notOk(source.isReady());
  api.addWebhookConfig(MWC, ['pods.otel-injector.dev']);
  await source.checkNow();
  t.ok(source.isReady());
  t.equal(api.caBundles(MWC)[0], secretData(api)['ca.crt']);
});

t.test('a caBundle changed by someone else is put back, touching only that field', async (t) => {
  const api = new FakeKubeApi();
  api.addWebhookConfig(MWC, ['a.otel-injector.dev', 'b.otel-injector.dev']);
  const source = replica(api, certClock(), captureLogger());
  await source.start();
  t.teardown(() => source.stop());
  const foreign = (await issueChain(['x'], 1, 1, new Date())).ca.certPem;
  api.tamperCaBundle(MWC, 1, foreign);
  await source.checkNow();
  t.ok(source.isReady(), 'put back in the same check: ready');
  t.equal(api.caBundles(MWC)[1], secretData(api)['ca.crt'], 'put back');
  t.equal(api.webhookConfigs.get(MWC)?.webhooks[1]?.sideEffects, 'None', 'other fields untouched');

  // someone changes it between our read and our patch: the `test` op fails (422), we re-read and retry
  const foreign2 = (await issueChain(['y'], 1, 1, new Date())).ca.certPem;
  api.tamperCaBundle(MWC, 0, foreign2);
  const realGet = api.getWebhookConfig.bind(api);
  let raced = false;
  api.getWebhookConfig = async (name) => {
    const view = await realGet(name);
    if (!raced) {
      raced = true;
      api.tamperCaBundle(MWC, 0, foreign);
    }
    return view;
  };
  const patchesBefore = api.count('setCaBundles');
  await source.checkNow();
  t.equal(api.count('setCaBundles') - patchesBefore, 2, 'first patch failed its test op, second applied');
  t.equal(api.caBundles(MWC)[0], secretData(api)['ca.crt']);
});

t.test('caBundle unreadable (e.g. RBAC 403): the Secret cert is served anyway, readiness waits for the caBundle', async (t) => {
  const api = new FakeKubeApi();
  api.addWebhookConfig(MWC, ['pods.otel-injector.dev']);
  const realGet = api.getWebhookConfig.bind(api);
  let forbidden = true;
  api.getWebhookConfig = async (name) => {
    if (forbidden) throw new KubeApiError(403, 'get mutatingwebhookconfiguration', 'forbidden');
    return realGet(name);
  };
  const log = captureLogger();
  const source = replica(api, certClock(), log);
  const material = await source.start();
  t.teardown(() => source.stop());
  t.equal(material.cert, secretData(api)['tls.crt'], 'serves the Secret certificate, not a temporary one');
  t.notOk(source.isReady());
  t.match(log.text(), /"status":403/);
  forbidden = false;
  t.ok(await source.checkNow());
  t.ok(source.isReady());
});
