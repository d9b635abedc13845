// Informers, not polling: one on the opted-in namespaces (label selector), and one on the pods of each
// such namespace, started when a namespace is labelled and stopped when the label goes. A failed watch
// is restarted after a delay (client-node's informer stops on an error). Every change calls onChange.
import type { Logger } from 'pino';
import type { ControllerKube } from './kube.js';
import type { Informer } from './ports.js';
import type { NamespaceView, PodView } from './types.js';

const RESTART_DELAY_MS = 2000;

export class ClusterView {
  private readonly namespaces: Informer<NamespaceView>;
  private readonly pods = new Map<string, { informer: Informer<PodView>; synced: boolean }>();
  private namespacesSynced = false;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly kube: ControllerKube,
    labelSelector: string,
    private readonly excluded: ReadonlySet<string>,
    private readonly onChange: () => void,
    private readonly logger: Logger,
  ) {
    this.namespaces = kube.namespaceInformer(labelSelector);
    for (const verb of ['add', 'update', 'delete'] as const) this.namespaces.on(verb, () => this.syncNamespaces());
    this.namespaces.on('error', (err) => this.restartLater('namespaces', this.namespaces, err));
  }

  async start(): Promise<void> {
    await this.namespaces.start();
    this.namespacesSynced = true;
    this.syncNamespaces();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.allSettled([this.namespaces.stop(), ...[...this.pods.values()].map((p) => p.informer.stop())]);
  }

  /** True once the namespaces and the pods of every opted-in namespace have been listed. */
  synced(): boolean {
    return this.namespacesSynced && [...this.pods.values()].every((p) => p.synced);
  }

  /** Names of the opted-in namespaces being watched. */
  watchedNamespaces(): string[] {
    return [...this.pods.keys()].sort();
  }

  /** Every pod of every watched namespace, from the informers' caches. */
  *allPods(): Generator<PodView> {
    for (const { informer } of this.pods.values()) yield* informer.list();
  }

  private syncNamespaces(): void {
    if (this.stopped) return;
    const want = new Set(this.namespaces.list().map((n) => n.metadata?.name ?? '').filter((n) => n !== '' && !this.excluded.has(n)));
    for (const [name, entry] of this.pods) {
      if (want.has(name)) continue;
      this.pods.delete(name);
      void entry.informer.stop();
      this.logger.info({ namespace: name }, 'namespace no longer opted in: not watched');
    }
    for (const name of want) if (!this.pods.has(name)) this.watchPods(name);
    this.onChange();
  }

  private watchPods(namespace: string): void {
    const informer = this.kube.podInformer(namespace);
    const entry = { informer, synced: false };
    this.pods.set(namespace, entry);
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, () => this.onChange());
    informer.on('error', (err) => this.restartLater(`pods of ${namespace}`, informer, err));
    this.logger.info({ namespace }, 'namespace opted in: watching its pods');
    informer.start().then(
      () => {
        entry.synced = true;
        this.onChange();
      },
      (err: unknown) => this.restartLater(`pods of ${namespace}`, informer, err),
    );
  }

  private restartLater(what: string, informer: Informer<unknown>, err: unknown): void {
    if (this.stopped) return;
    this.logger.warn({ watch: what, err: err instanceof Error ? err.message : String(err) }, 'watch failed: restarting it');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const current = informer === this.namespaces || [...this.pods.values()].some((p) => p.informer === informer);
      if (this.stopped || !current) return;
      informer.start().then(() => this.syncAfterRestart(informer), (e: unknown) => this.restartLater(what, informer, e));
    }, RESTART_DELAY_MS);
    this.timers.add(timer);
  }

  private syncAfterRestart(informer: Informer<unknown>): void {
    if (informer === this.namespaces) this.syncNamespaces();
    else this.onChange();
  }
}
