// Switching the delivery mode never makes the controller roll everything at once. Pods injected through the
// init container and through the image volume record the same payload image, so a mode switch alone makes
// no pod outdated (nothing rolls; pods move to the new mode as they are replaced). A switch that comes with
// a new payload image makes every pod outdated, in both modes alike, and the restarter's limits hold:
// at most maxConcurrent rolling, starts at least minIntervalSeconds apart. Real FindingsIndex and Restarter,
// workloads in memory, the clock moved by the test.
import { pino } from 'pino';
import t from 'tap';
import type { ControllerConfig } from '../../src/config/controller.js';
import { FindingsIndex } from '../../src/controller/findings-index.js';
import type { ControllerKube } from '../../src/controller/kube.js';
import { Restarter } from '../../src/controller/restarter.js';
import type { PodView } from '../../src/controller/types.js';
import { TestClock } from '../support/clock.js';
import { FakeKube, deployment } from './fake-workloads.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const OLD = 'registry.example/otel-injector/payload:0.1.0';
const NEW = 'registry.example/otel-injector/payload@sha256:' + 'cd'.repeat(32);
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

const CONFIG: ControllerConfig = Object.freeze({
  mode: 'restart', maxConcurrent: 2, minIntervalSeconds: 30, rolloutTimeoutSeconds: 600, dryRun: false, webhookProbeUrl: undefined,
  namespaceLabel: { key: 'otel-injector.io/inject', value: 'enabled' }, excludeNamespaces: [], leaseName: 'l', leaseDurationSeconds: 15, identityHost: 'me',
  collectorSources: { caConfigMap: undefined, caSecret: undefined, caPem: undefined, clientCertSecret: undefined, headers: [], syncSeconds: 10 },
});

/** A running pod of Deployment `name` as the webhook left it, delivered by init container or image volume. */
function pod(name: string, image: string, imageVolume: boolean): PodView {
  const status = imageVolume ? 'injected: node,python; delivery: image-volume (auto: all 3 candidate nodes support image volumes)' : 'injected: node,python; delivery: init-container (auto: node w3 runs containerd 1.7.2, image volumes with subPath need 2.2+)';
  return {
    metadata: {
      name: `${name}-h1-x`, namespace: 'shop', uid: `uid-${name}`, creationTimestamp: new Date(T0 - 3_600_000).toISOString(),
      labels: { app: name, 'pod-template-hash': 'h1' },
      ownerReferences: [{ kind: 'ReplicaSet', name: `${name}-h1`, uid: `rs-${name}`, controller: true, apiVersion: 'apps/v1' }],
      annotations: { 'otel-injector.io/status': status, 'otel-injector.io/payload-image': image },
    },
    status: { phase: 'Running' },
  };
}

function setup(payloadImage: string) {
  const kube = new FakeKube();
  for (const n of NAMES) kube.store.set(`Deployment/shop/${n}`, deployment(n));
  const clock = new TestClock({ at: new Date(T0), monotonicMs: 1_000_000 });
  const restarter = new Restarter(CONFIG, { kube: kube as unknown as ControllerKube, probe: async () => ({ ready: true, detail: 'GET /readyz: 200' }), clock, logger: pino({ level: 'silent' }) });
  restarter.begin();
  const index = new FindingsIndex(payloadImage);
  // half the pods were injected through the image volume, half through the init container
  NAMES.forEach((n, i) => index.apply(undefined, pod(n, OLD, i % 2 === 0)));
  return { kube, clock, restarter, index };
}

t.test('a mode switch alone: no pod is outdated, nothing rolls however long the controller runs', async (t) => {
  const { kube, clock, restarter, index } = setup(OLD);
  t.same(index.findings(), [], 'init-container and image-volume pods with the current payload image are both up to date');
  for (let i = 0; i < 20; i++) {
    await restarter.step(index.findings());
    clock.advanceSeconds(60);
  }
  t.equal(kube.patches.length, 0, 'no workload patched');
});

t.test('a switch with a new payload image: every pod outdated in both modes, rolled within the limits', async (t) => {
  const { kube, clock, restarter, index } = setup(NEW);
  const findings = index.findings();
  t.equal(findings.length, NAMES.length, 'every workload outdated, whichever way its pods got the payload');
  t.ok(findings.every((f) => f.reason === 'outdated'));
  const starts: Array<{ key: string; atMs: number }> = [];
  let maxRolling = 0;
  for (let second = 0; second <= 1200 && index.findings().length > 0; second += 5) {
    await restarter.step(index.findings());
    for (const { key } of kube.patches) if (!starts.some((s) => s.key === key) && kube.state(key) === 'rolling') starts.push({ key, atMs: clock.now().getTime() });
    maxRolling = Math.max(maxRolling, NAMES.filter((n) => kube.state(`Deployment/shop/${n}`) === 'rolling').length);
    // each rollout completes 40 s after it started; its new pods carry the new image
    for (const s of starts) {
      if (kube.state(s.key) === 'rolling' && clock.now().getTime() - s.atMs >= 40_000) {
        kube.complete(s.key);
        const name = s.key.split('/')[2] ?? '';
        const replaced = pod(name, OLD, NAMES.indexOf(name) % 2 === 0);
        index.apply(replaced, undefined);
        const fresh = pod(name, NEW, true);
        index.apply(undefined, { ...fresh, metadata: { ...fresh.metadata, name: `${name}-h2-y`, labels: { app: name, 'pod-template-hash': 'h2' }, ownerReferences: [{ kind: 'ReplicaSet', name: `${name}-h2`, uid: `rs2-${name}`, controller: true, apiVersion: 'apps/v1' }] } });
      }
    }
    clock.advanceSeconds(5);
  }
  t.equal(starts.length, NAMES.length, 'every workload rolled in the end');
  t.ok(maxRolling <= CONFIG.maxConcurrent, `at most ${CONFIG.maxConcurrent} rolling at once (saw ${maxRolling})`);
  const gaps = starts.slice(1).map((s, i) => s.atMs - (starts[i]?.atMs ?? 0));
  t.ok(gaps.every((gap) => gap >= CONFIG.minIntervalSeconds * 1000), `starts at least ${CONFIG.minIntervalSeconds}s apart: ${gaps.map((g) => g / 1000).join(', ')}`);
  t.same(index.findings(), [], 'nothing left outdated');
});
