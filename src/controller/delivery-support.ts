// The delivery support publisher (docs/delivery.md): on every replica a watch of the Nodes keeps their
// labels, NoSchedule/NoExecute taints and runtime/kubelet versions; the Lease holder probes whether the API
// server keeps `volumes[].image` (a dry-run create; again every probe interval) and writes the snapshot into
// the ConfigMap the webhook mounts: when it changes, and re-stamped every republish interval so the webhook
// can tell a live controller's snapshot from a stale one. No pod is ever touched here.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { deliveryConfigMapName, nodeSupport, renderSnapshot, SNAPSHOT_VERSION, SUPPORT_KEY, type NodeSupport, type NodeTaint } from '../k8s/contract/delivery.js';
import type { DeliveryKube } from './delivery-kube.js';
import { Reflector } from './reflector.js';

/** A ConfigMap holds at most 1 MiB; past this the snapshot lists no node (auto then uses the init container). */
export const MAX_SNAPSHOT_BYTES = 900 * 1024;

export interface DeliveryPublisherOptions {
  readonly namespace: string;
  readonly webhookConfigName: string;
  readonly payloadImage: string;
  /** Re-stamp an unchanged snapshot this often (well within the webhook's INJECT_DELIVERY_MAX_AGE_SECONDS). */
  readonly republishMs: number;
  /** Probe the API server again this often (a gate can be switched with an API server restart). */
  readonly reprobeMs: number;
}

type RawNode = {
  metadata?: { name?: unknown; labels?: unknown };
  spec?: { taints?: unknown };
  status?: { nodeInfo?: { containerRuntimeVersion?: unknown; kubeletVersion?: unknown } };
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const byName = (a: NodeSupport, b: NodeSupport): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function taintsOf(raw: unknown): NodeTaint[] {
  const taints = Array.isArray(raw) ? (raw as Array<Record<string, unknown>>) : [];
  return taints
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .map((t) => (typeof t.value === 'string' && t.value !== '' ? { key: str(t.key), value: t.value, effect: str(t.effect) } : { key: str(t.key), effect: str(t.effect) }));
}

/** What the snapshot keeps of a Node. */
export function nodeOf(raw: unknown): NodeSupport | undefined {
  const node = raw as RawNode;
  const name = str(node.metadata?.name);
  if (name === '') return undefined;
  const labels = Object.fromEntries(Object.entries((node.metadata?.labels ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const info = node.status?.nodeInfo;
  const runtime = str(info?.containerRuntimeVersion);
  const kubelet = str(info?.kubeletVersion);
  return { name, labels, taints: taintsOf(node.spec?.taints), runtime, kubelet, ...nodeSupport(runtime, kubelet) };
}

export class DeliveryPublisher {
  private readonly nodes: Reflector<NodeSupport>;
  private readonly name: string;
  private imageVolumeField: boolean | null = null;
  private probedMs: number | undefined;
  private published: { content: string; atMs: number } | undefined;
  /** A node changed since the last sync (the content is only rebuilt then, or when a re-stamp is due). */
  private changed = true;

  constructor(
    private readonly kube: DeliveryKube,
    private readonly options: DeliveryPublisherOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.name = deliveryConfigMapName(options.webhookConfigName);
    this.nodes = new Reflector<NodeSupport>({
      what: 'nodes',
      source: kube.nodeSource(),
      transform: nodeOf,
      same: (a, b) => JSON.stringify(a) === JSON.stringify(b),
      onChange: () => {
        this.changed = true;
      },
      logger,
    });
  }

  async start(): Promise<void> {
    await this.nodes.start();
  }

  async stop(): Promise<void> {
    await this.nodes.stop();
  }

  /** A new leadership term publishes at once. */
  reset(): void {
    this.published = undefined;
    this.changed = true;
    this.probedMs = undefined;
  }

  /** The Lease holder's part: probe when due, write the snapshot when it changed or is due for a re-stamp. */
  async sync(): Promise<void> {
    if (!this.nodes.isSynced()) return;
    const nowMs = this.clock.now().getTime();
    const probeDue = this.since(this.probedMs, nowMs) >= this.options.reprobeMs;
    if (probeDue) await this.probe(nowMs);
    const restampDue = this.since(this.published?.atMs, nowMs) >= this.options.republishMs;
    if (!this.takeChange(probeDue || restampDue)) return;
    const nodes = [...this.nodes.list()].sort(byName);
    const content = JSON.stringify({ imageVolumeField: this.imageVolumeField, nodes });
    const changed = this.published?.content !== content;
    if (!(changed || restampDue)) return;
    await this.kube.writeConfigMap(this.options.namespace, this.name, { [SUPPORT_KEY]: this.render(nodes, nowMs) });
    if (changed) this.logPublished(nodes);
    this.published = { content, atMs: nowMs };
  }

  /** True when something is due or a node changed (the change is then taken). */
  private takeChange(due: boolean): boolean {
    const go = due || this.changed;
    this.changed = false;
    return go;
  }

  /** Ms since then; infinite for never. */
  private since(thenMs: number | undefined, nowMs: number): number {
    return thenMs === undefined ? Number.POSITIVE_INFINITY : nowMs - thenMs;
  }

  private logPublished(nodes: readonly NodeSupport[]): void {
    const supported = nodes.filter((n) => n.supported).length;
    this.logger.info({ configMap: `${this.options.namespace}/${this.name}`, imageVolumeField: this.imageVolumeField, nodes: nodes.length, supported }, 'delivery support published');
  }

  private render(nodes: readonly NodeSupport[], nowMs: number): string {
    const observedAt = new Date(nowMs).toISOString();
    const text = renderSnapshot({ version: SNAPSHOT_VERSION, observedAt, imageVolumeField: this.imageVolumeField, nodes });
    if (Buffer.byteLength(text) <= MAX_SNAPSHOT_BYTES) return text;
    this.logger.warn({ nodes: nodes.length, bytes: Buffer.byteLength(text) }, 'delivery support: too many nodes for one ConfigMap; published without nodes (auto uses the init container)');
    return renderSnapshot({ version: SNAPSHOT_VERSION, observedAt, imageVolumeField: this.imageVolumeField, nodes: [] });
  }

  private async probe(nowMs: number): Promise<void> {
    const before = this.imageVolumeField;
    try {
      this.imageVolumeField = await this.kube.keepsImageVolumes(this.options.namespace, `${this.name}-probe`, this.options.payloadImage);
    } catch (error) {
      this.imageVolumeField = null;
      this.logger.warn({ err: (error as Error).message }, 'delivery support: the image volume probe failed; auto uses the init container until it succeeds');
    }
    // a failed probe is tried again within 30 s, a successful one after the probe interval
    this.probedMs = this.imageVolumeField === null ? nowMs - this.options.reprobeMs + 30_000 : nowMs;
    if (before !== this.imageVolumeField) this.logger.info({ imageVolumeField: this.imageVolumeField }, 'delivery support: API server probed');
  }
}
