// Watches, not polling: one on the opted-in namespaces (label selector), and one on the pods of each such
// namespace, started when a namespace is labelled and stopped when the label goes (its pods then leave
// the picture). Each is a Reflector (reflector.ts: paged lists, bookmarks, resume after 410 without a
// relist storm); pods are slimmed before they are cached (slim.ts). Every pod change is handed to onPod
// (the findings index) and then onChange (a round of the controller).
import type { Logger } from 'pino';
import type { ControllerKube } from './kube.js';
import { Limiter, Reflector, type ReflectorStats } from './reflector.js';
import { PodSlimmer, samePod } from './slim.js';
import type { PodView } from './types.js';

/** Lists running at once across namespaces (a controller restart in a cluster of many namespaces). */
const CONCURRENT_LISTS = 2;

export class ClusterView {
  private readonly namespaces: Reflector<string>;
  private readonly pods = new Map<string, Reflector<PodView>>();
  private readonly slimmer = new PodSlimmer();
  private readonly limiter = new Limiter(CONCURRENT_LISTS);
  private namespacesSynced = false;
  private stopped = false;

  constructor(
    private readonly kube: ControllerKube,
    labelSelector: string,
    private readonly excluded: ReadonlySet<string>,
    private readonly onPod: (old: PodView | undefined, next: PodView | undefined) => void,
    private readonly onChange: () => void,
    private readonly logger: Logger,
  ) {
    this.namespaces = new Reflector<string>({
      what: 'namespaces',
      source: kube.namespaceSource(labelSelector),
      transform: (raw) => (raw as { metadata?: { name?: string } }).metadata?.name,
      same: (a, b) => a === b,
      onChange: () => this.syncNamespaces(),
      logger,
    });
  }

  async start(): Promise<void> {
    await this.namespaces.start();
    this.namespacesSynced = true;
    this.syncNamespaces();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([this.namespaces.stop(), ...[...this.pods.values()].map((p) => p.stop())]);
  }

  /** True once the namespaces and the pods of every opted-in namespace have been listed. */
  synced(): boolean {
    return this.namespacesSynced && [...this.pods.values()].every((p) => p.isSynced());
  }

  /** True once the opted-in namespaces have been listed (their pods may still be listing). */
  namespacesListed(): boolean {
    return this.namespacesSynced;
  }

  /** Names of the opted-in namespaces being watched. */
  watchedNamespaces(): string[] {
    return [...this.pods.keys()].sort();
  }

  /** Pods cached, and what the pod reflectors asked the API for, summed. */
  stats(): ReflectorStats & { pods: number; pooledLabelSets: number; pooledOwners: number } {
    const sum: ReflectorStats = { lists: 0, pages: 0, watches: 0, expired: 0, failures: 0 };
    let pods = 0;
    for (const r of this.pods.values()) {
      pods += r.size;
      for (const k of Object.keys(sum) as Array<keyof ReflectorStats>) sum[k] += r.stats[k];
    }
    const pooled = this.slimmer.pooled();
    return { ...sum, pods, pooledLabelSets: pooled.labels, pooledOwners: pooled.owners };
  }

  private syncNamespaces(): void {
    if (this.stopped || !this.namespacesSynced) return;
    const want = new Set([...this.namespaces.list()].filter((n) => n !== '' && !this.excluded.has(n)));
    for (const [name, reflector] of this.pods) {
      if (want.has(name)) continue;
      this.pods.delete(name);
      this.logger.info({ namespace: name }, 'namespace no longer opted in: not watched');
      void reflector.stop(true).then(() => this.onChange());
    }
    for (const name of want) if (!this.pods.has(name)) this.watchPods(name);
    this.onChange();
  }

  private watchPods(namespace: string): void {
    const reflector = new Reflector<PodView>({
      what: `pods of ${namespace}`,
      source: this.kube.podSource(namespace),
      transform: (raw) => this.slimmer.slim(raw),
      same: samePod,
      release: (pod) => this.slimmer.release(pod),
      onChange: (old, next) => {
        this.onPod(old, next);
        this.onChange();
      },
      logger: this.logger,
      limiter: this.limiter,
    });
    this.pods.set(namespace, reflector);
    this.logger.info({ namespace }, 'namespace opted in: watching its pods');
    void reflector.start().then(() => this.onChange());
  }
}
