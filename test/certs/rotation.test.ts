// Self-managed rotation driven by an injected clock, two replicas behind a client that trusts
// whatever the webhook configuration's caBundle holds (as kube-apiserver does): no request fails
// across a CA rotation; replicas starting at once converge on one Secret.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBundle } from '../../src/certs/pem.js';
import { ANNOTATION_DROP_AFTER, ANNOTATION_SWITCH_AFTER } from '../../src/certs/secret-state.js';
import { SelfManagedSource } from '../../src/certs/self-managed.js';
import type { TlsMaterial } from '../../src/certs/types.js';
import type { CertConfig } from '../../src/config/index.js';
import { FakeKubeApi } from '../k8s/fake-api.js';
import { DAY_MS, TEST_MWC, certClock, captureLogger, httpsGet, selfManagedConfig, type CapturedLogger } from './helpers.js';
import type { TestClock } from '../support/clock.js';

const DAY = DAY_MS;
const MWC = TEST_MWC;
const SECRET = 'otel-injector/otel-injector-tls';
const config: CertConfig = selfManagedConfig;

function replica(api: FakeKubeApi, clock: TestClock, log: CapturedLogger, name: string): SelfManagedSource {
  return new SelfManagedSource({ logger: log.logger.child({ replica: name }), clock, api }, config, {
    overlapMs: 60_000,
    notReadyRetryMs: 3_600_000,
  });
}

async function listen(source: SelfManagedSource, material: TlsMaterial): Promise<{ port: number; close: () => void }> {
  const server = createServer({ ...material, minVersion: 'TLSv1.2' }, (_req, res) => res.end('ok'));
  source.onChange((next) => server.setSecureContext({ ...next, minVersion: 'TLSv1.2' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function serialOf(pem: string | undefined): string {
  return new X509Certificate(pem ?? '').serialNumber;
}

/** Requests alternating between the replicas, each trusting the caBundle as it is at that moment. */
function apiserverLikeClient(api: FakeKubeApi, ports: readonly number[]) {
  const stats = { ok: 0, failed: [] as string[], serials: new Set<string>() };
  let running = true;
  const workers = [0, 1, 2, 3].map(async (worker) => {
    for (let i = worker; running; i++) {
      const port = ports[i % ports.length] as number;
      try {
        const result = await httpsGet(port, api.caBundles(MWC)[0] ?? '', { servername: 'otel-injector.otel-injector.svc' });
        stats.ok++;
        stats.serials.add(result.serial);
      } catch (error) {
        stats.failed.push(`${port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
  });
  return {
    stats,
    stop: async (): Promise<void> => {
      running = false;
      await Promise.all(workers);
    },
  };
}

t.test('CA rotation with two replicas: no request fails, old CA dropped only after both switched', async (t) => {
  const realNow = Date.now();
  // Certificates are issued at the fake time but the TLS clients check them against real time:
  // start 7 days back so the CA (10 days) reaches its last third exactly at the real present.
  const clock = certClock(new Date(realNow - 7 * DAY));
  const api = new FakeKubeApi();
  api.addWebhookConfig(MWC, ['pods.otel-injector.dev']);
  const log = captureLogger();
  const [a, b] = [replica(api, clock, log, 'a'), replica(api, clock, log, 'b')];
  const [materialA, materialB] = await Promise.all([a.start(), b.start()]);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  t.equal(api.secrets.size, 1);
  t.equal(materialA.cert, materialB.cert, 'both replicas serve the one Secret');
  const oldCa = api.caBundles(MWC)[0] ?? '';
  const servers = [await listen(a, materialA), await listen(b, materialB)];
  t.teardown(() => servers.forEach((s) => s.close()));

  // 6.5 days later the serving cert (1 day) has long expired: renewed from the same CA
  clock.set(new Date(realNow - DAY / 2));
  await a.checkNow();
  await b.checkNow();
  const s1 = serialOf(api.secrets.get(SECRET)?.data['tls.crt']);
  t.equal(api.caBundles(MWC)[0], oldCa, 'serving renewal does not touch the caBundle');
  t.ok(a.isReady() && b.isReady());

  const client = apiserverLikeClient(api, servers.map((s) => s.port));
  await sleep(300);

  // the present: the CA has less than a third left. Phase 1: new CA published, old cert still served.
  clock.set(new Date(realNow));
  await a.checkNow();
  const secret1 = api.secrets.get(SECRET);
  const bundle1 = api.caBundles(MWC)[0] ?? '';
  t.equal(parseBundle(bundle1).length, 2, 'caBundle holds the old and the new CA');
  t.ok(bundle1.startsWith(oldCa), 'old CA kept');
  t.ok(secret1?.annotations[ANNOTATION_SWITCH_AFTER], 'switch time recorded');
  t.equal(serialOf(secret1?.data['tls.crt']), s1, 'serving certificate unchanged in phase 1');
  const newCa = bundle1.slice(oldCa.length);
  await b.checkNow();
  t.equal(serialOf(api.secrets.get(SECRET)?.data['tls.crt']), s1, 'before the switch time nothing changes');
  await sleep(300);

  // Phase 2: after the overlap a serving cert from the new CA; replica b has not re-checked yet.
  clock.advanceMs(61_000);
  await a.checkNow();
  const s2 = serialOf(api.secrets.get(SECRET)?.data['tls.crt']);
  t.not(s2, s1);
  t.ok(api.secrets.get(SECRET)?.annotations[ANNOTATION_DROP_AFTER], 'drop time recorded');
  t.equal(api.caBundles(MWC)[0], bundle1, 'both CAs still in the bundle');
  const [portA, portB] = servers.map((s) => s.port) as [number, number];
  t.equal((await httpsGet(portA, newCa, { servername: 'otel-injector.otel-injector.svc' })).serial, s2, 'a serves the new cert');
  await t.rejects(
    httpsGet(portB, newCa, { servername: 'otel-injector.otel-injector.svc' }),
    'b still serves the old cert: the old CA is still needed',
  );
  await sleep(300);
  await b.checkNow();
  t.equal((await httpsGet(portB, newCa, { servername: 'otel-injector.otel-injector.svc' })).serial, s2, 'b switched on its next check');
  await sleep(300);

  // Phase 3: after another overlap the old CA leaves the bundle.
  clock.advanceMs(61_000);
  await b.checkNow();
  await a.checkNow();
  t.equal(api.caBundles(MWC)[0], newCa, 'only the new CA remains');
  t.equal(api.secrets.get(SECRET)?.data['ca.crt'], newCa);
  t.same(Object.keys(api.secrets.get(SECRET)?.annotations ?? {}), [], 'rotation annotations cleared');
  t.ok(a.isReady() && b.isReady());
  await sleep(300);
  await client.stop();

  t.same(client.stats.failed, [], 'no request failed');
  t.ok(client.stats.ok > 20, `${client.stats.ok} requests succeeded`);
  t.ok(client.stats.serials.has(s1) && client.stats.serials.has(s2), 'requests were served with both certificates');
  t.notMatch(log.text(), /PRIVATE KEY/, 'no private key in the logs');
  const keyLine = (api.secrets.get(SECRET)?.data['ca.key'] ?? '').split('\n')[5] ?? 'missing';
  t.notOk(log.text().includes(keyLine), 'no key material in the logs');
  t.match(log.text(), /"step":"new-ca"/);
  t.match(log.text(), /"step":"switch"/);
  t.match(log.text(), /"step":"drop"/);
});

t.test('five replicas starting at once converge on one Secret', async (t) => {
  const api = new FakeKubeApi();
  api.addWebhookConfig(MWC, ['pods.otel-injector.dev']);
  const clock = certClock();
  const log = captureLogger();
  const replicas = [0, 1, 2, 3, 4].map((i) => replica(api, clock, log, `r${i}`));
  const materials = await Promise.all(replicas.map((r) => r.start()));
  t.teardown(() => Promise.all(replicas.map((r) => r.stop())));
  t.ok(api.count('createSecret') > 1, `${api.count('createSecret')} replicas raced to create`);
  t.equal(api.secrets.size, 1);
  const secret = api.secrets.get(SECRET);
  for (const material of materials) t.equal(material.cert, secret?.data['tls.crt']);
  t.equal(api.caBundles(MWC)[0], secret?.data['ca.crt']);
  t.ok(replicas.every((r) => r.isReady()));
  t.match(log.text(), /another replica created the Secret first/);
});

t.test('API unreachable at startup: a temporary cert, not ready; the Secret is picked up when it recovers', async (t) => {
  const api = new FakeKubeApi();
  api.addWebhookConfig(MWC, ['pods.otel-injector.dev']);
  api.failWith = 0;
  const source = replica(api, certClock(), captureLogger(), 'x');
  const temporary = await source.start();
  t.teardown(() => source.stop());
  t.notOk(source.isReady());
  t.equal(api.secrets.size, 0);
  let changed: TlsMaterial | undefined;
  source.onChange((m) => (changed = m));

  api.failWith = undefined;
  t.ok(await source.checkNow());
  t.equal(changed?.cert, api.secrets.get(SECRET)?.data['tls.crt'], 'swapped to the Secret cert');
  t.not(changed?.cert, temporary.cert);
  t.ok(source.isReady());

  api.failWith = 503;
  t.notOk(await source.checkNow());
  t.ok(source.isReady(), 'an API blip keeps the last readiness');
});

t.test('an existing Secret whose cert misses the service names, or whose key is broken, is reissued from the same CA', async (t) => {
  const api = new FakeKubeApi();
  api.addWebhookConfig(MWC, ['pods.otel-injector.dev']);
  const clock = certClock();
  const other = new SelfManagedSource({ logger: captureLogger().logger, clock, api }, { ...config, serviceName: 'old-name' }, {
    overlapMs: 60_000,
  });
  await other.start();
  await other.stop();
  const before = structuredClone(api.secrets.get(SECRET));
  const source = replica(api, clock, captureLogger(), 'y');
  const material = await source.start();
  t.teardown(() => source.stop());
  const after = structuredClone(api.secrets.get(SECRET));
  t.equal(after?.data['ca.crt'], before?.data['ca.crt'], 'same CA');
  t.not(after?.data['tls.crt'], before?.data['tls.crt'], 'new serving cert');
  t.equal(new X509Certificate(material.cert).checkHost('otel-injector.otel-injector.svc'), 'otel-injector.otel-injector.svc');

  const stored = api.secrets.get(SECRET);
  if (stored !== undefined) stored.data['tls.key'] = 'garbage';
  await source.checkNow();
  const repaired = api.secrets.get(SECRET);
  t.not(repaired?.data['tls.key'], 'garbage');
  t.equal(repaired?.data['ca.crt'], before?.data['ca.crt'], 'still the same CA');
  t.ok(source.isReady());
});
