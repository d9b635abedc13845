// The delivery support publisher on an in-memory API: Nodes listed and then changed through the watch, the
// probe's answer, the ConfigMap writes (when the content changes, and a re-stamp when due), driven by a clock
// the test moves; the snapshot written is read back with the webhook's own parser.
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import type { DeliveryKube } from '../../src/controller/delivery-kube.js';
import { DeliveryPublisher, nodeOf } from '../../src/controller/delivery-support.js';
import type { ListWatchSource, WatchEvent } from '../../src/controller/ports.js';
import { parseSnapshot, SUPPORT_KEY, type DeliverySnapshot } from '../../src/k8s/contract/delivery.js';
import { TestClock } from '../support/clock.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');
let rv = 1;

function rawNode(name: string, runtime: string, extra: { labels?: Record<string, string>; taints?: unknown[]; kubelet?: string } = {}): object {
  return {
    metadata: { name, resourceVersion: String(++rv), labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: { taints: extra.taints ?? [] },
    status: { nodeInfo: { containerRuntimeVersion: runtime, kubeletVersion: extra.kubelet ?? 'v1.37.2', osImage: 'Debian' }, capacity: { cpu: '2' } },
  };
}

class FakeDeliveryKube implements DeliveryKube {
  nodes: object[] = [];
  private send: ((event: WatchEvent) => void) | undefined;
  keeps: boolean | Error = true;
  probes = 0;
  readonly writes: Array<{ namespace: string; name: string; snapshot: DeliverySnapshot | undefined }> = [];
  nodeSource(): ListWatchSource {
    return {
      list: async () => ({ items: this.nodes, resourceVersion: String(rv) }),
      watch: (_rv, _timeout, onEvent) => {
        this.send = onEvent;
        let end = (): void => undefined;
        const done = new Promise<void>((resolve) => (end = resolve));
        return { done, abort: () => end() };
      },
    };
  }
  emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: object): void {
    this.send?.({ type, object: object as WatchEvent['object'] });
  }
  async keepsImageVolumes(): Promise<boolean> {
    this.probes++;
    if (this.keeps instanceof Error) throw this.keeps;
    return this.keeps;
  }
  async writeConfigMap(namespace: string, name: string, data: Record<string, string>): Promise<void> {
    this.writes.push({ namespace, name, snapshot: parseSnapshot(data[SUPPORT_KEY] ?? '') });
  }
}

function setup() {
  const kube = new FakeDeliveryKube();
  kube.nodes = [rawNode('w1', 'containerd://2.3.7'), rawNode('w2', 'containerd://1.7.2', { taints: [{ key: 'old', value: 'yes', effect: 'NoSchedule' }, { key: 'soft', effect: 'PreferNoSchedule' }] })];
  const clock = new TestClock({ at: new Date(T0) });
  const lines: Array<{ msg: string }> = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { msg: string }); done(); } });
  const publisher = new DeliveryPublisher(kube, { namespace: 'otel', webhookConfigName: 'otel-injector', payloadImage: 'reg/payload:1', republishMs: 120_000, reprobeMs: 600_000 }, clock, pino({ level: 'info' }, sink));
  return { kube, clock, publisher, msgs: () => lines.map((l) => l.msg) };
}

t.test('publishes the nodes and the probe, again only on change or when the re-stamp is due', async (t) => {
  const { kube, clock, publisher, msgs } = setup();
  t.teardown(() => publisher.stop());
  await publisher.start();
  await publisher.sync();
  t.equal(kube.writes.length, 1);
  const first = kube.writes[0];
  t.same([first?.namespace, first?.name], ['otel', 'otel-injector-delivery']);
  t.equal(first?.snapshot?.imageVolumeField, true);
  t.equal(first?.snapshot?.observedAt, new Date(T0).toISOString());
  t.same(first?.snapshot?.nodes.map((n) => [n.name, n.supported, n.runtime]), [['w1', true, 'containerd://2.3.7'], ['w2', false, 'containerd://1.7.2']]);
  t.same(first?.snapshot?.nodes[1]?.taints, [{ key: 'old', value: 'yes', effect: 'NoSchedule' }], 'only the taints that keep pods off');
  clock.advanceSeconds(60);
  await publisher.sync();
  t.equal(kube.writes.length, 1, 'nothing changed, no re-stamp due: no write');
  kube.emit('MODIFIED', rawNode('w2', 'containerd://2.2.1', { taints: [] }));
  await tick();
  await publisher.sync();
  t.equal(kube.writes.length, 2, 'a node upgraded: written at once');
  t.equal(kube.writes[1]?.snapshot?.nodes[1]?.supported, true);
  kube.emit('ADDED', rawNode('w3', 'cri-o://1.32.0'));
  kube.emit('DELETED', rawNode('w1', 'containerd://2.3.7'));
  await tick();
  await publisher.sync();
  t.same(kube.writes[2]?.snapshot?.nodes.map((n) => `${n.name}:${n.supported}`), ['w2:true', 'w3:false']);
  clock.advanceSeconds(120);
  await publisher.sync();
  t.equal(kube.writes.length, 4, 're-stamped after the republish interval');
  t.equal(kube.writes[3]?.snapshot?.observedAt, new Date(T0 + 180_000).toISOString());
  t.equal(kube.probes, 1, 'probed once so far');
  kube.keeps = false;
  clock.advanceSeconds(600);
  await publisher.sync();
  t.equal(kube.probes, 2, 'probed again after the probe interval');
  t.equal(kube.writes.at(-1)?.snapshot?.imageVolumeField, false, 'a gate switched off is published');
  t.equal(msgs().filter((m) => m === 'delivery support published').length, 4, 'one log line per content change, none for a re-stamp');
});

t.test('a failed probe publishes "unknown" and is tried again within 30 s; a new leader publishes at once', async (t) => {
  const { kube, clock, publisher, msgs } = setup();
  t.teardown(() => publisher.stop());
  kube.keeps = new Error('pods is forbidden');
  await publisher.start();
  await publisher.sync();
  t.equal(kube.writes[0]?.snapshot?.imageVolumeField, null);
  t.ok(msgs().includes('delivery support: the image volume probe failed; auto uses the init container until it succeeds'));
  kube.keeps = true;
  clock.advanceSeconds(29);
  await publisher.sync();
  t.equal(kube.probes, 1);
  clock.advanceSeconds(1);
  await publisher.sync();
  t.equal(kube.probes, 2);
  t.equal(kube.writes.at(-1)?.snapshot?.imageVolumeField, true);
  const writes = kube.writes.length;
  publisher.reset();
  await publisher.sync();
  t.equal(kube.writes.length, writes + 1, 'after a leadership change: written again');
});

t.test('nodeOf keeps what the decision needs, judged with the contract', async (t) => {
  t.same(nodeOf(rawNode('n', 'containerd://2.1.4')), { name: 'n', labels: { 'kubernetes.io/hostname': 'n' }, taints: [], runtime: 'containerd://2.1.4', kubelet: 'v1.37.2', supported: false, why: 'runs containerd 2.1.4, image volumes with subPath need 2.2+' });
  t.equal(nodeOf({ metadata: {} }), undefined);
  t.equal(nodeOf({ metadata: { name: 'bare' } })?.why, 'runs an unknown container runtime, not known to mount image volumes');
});
