// The collector Secret in every opted-in namespace: a pod can only mount Secrets of its own
// namespace, so the leader keeps a copy of `collector.secretName`, composed from the sources named in the
// release namespace (CA from a ConfigMap, a Secret or inline; client certificate; header values), in each
// opted-in namespace. Each copy is labelled, and owned by the release's MutatingWebhookConfiguration (a
// cluster-scoped owner: uninstalling the release garbage-collects every copy). A namespace that opts out
// loses its copy; a changed source reaches the copies at the next sync (every `syncSeconds`), and the
// kubelet then updates the mounted files in place. A source that cannot be read leaves the copies as they
// are (a transient error never takes a working CA or key away). Logs name namespaces, sources and keys,
// never a value.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { CollectorSources } from '../config/collector-sources.js';
import { composeCollectorData, type CollectorData } from './collector-compose.js';
import type { CollectorKube, CopyRecord } from './collector-kube.js';

export const COPY_LABEL = 'otel-injector.io/collector-copy';

export interface CopierOptions {
  readonly sources: CollectorSources;
  /** The copies' name, the same in every namespace (collector.secretName). */
  readonly secretName: string;
  readonly releaseNamespace: string;
  /** The release's MutatingWebhookConfiguration: the owner of every copy. */
  readonly webhookConfigName: string;
}

type Data = CollectorData;

export class CollectorCopier {
  private lastData: Data | undefined;
  private lastProblem = '';
  private readonly labels: Record<string, string>;

  constructor(
    private readonly options: CopierOptions,
    private readonly kube: CollectorKube,
    private readonly logger: Logger,
  ) {
    this.labels = { [COPY_LABEL]: options.webhookConfigName, 'app.kubernetes.io/managed-by': 'otel-injector-controller' };
  }

  /** Forget the last sources (a new leadership term starts afresh). */
  reset(): void {
    this.lastData = undefined;
  }

  /** One pass: compose the Secret, write it where it is missing or differs, delete it where it is no longer wanted. */
  async sync(namespaces: readonly string[]): Promise<void> {
    const { secretName, webhookConfigName } = this.options;
    const want = new Set(namespaces);
    const copies = await this.kube.listCopies(secretName, `${COPY_LABEL}=${webhookConfigName}`);
    await this.deleteUnwanted(copies, want);
    const data = await this.compose();
    if (data === undefined) return;
    if (this.lastData !== undefined && !isDeepStrictEqual(this.lastData, data)) {
      this.logger.info({ secret: secretName, keys: Object.keys(data) }, 'collector secret: a source changed, updating the copies');
    }
    this.lastData = data;
    const owner = await this.kube.webhookConfigUid(webhookConfigName);
    if (owner === undefined) {
      this.problem(`MutatingWebhookConfiguration ${webhookConfigName} not found (release being uninstalled?): no copy written`);
      return;
    }
    const listed = new Map(copies.map((c) => [c.namespace, c]));
    for (const namespace of want) await this.write(namespace, listed.get(namespace), data, owner);
  }

  private async deleteUnwanted(copies: readonly CopyRecord[], want: ReadonlySet<string>): Promise<void> {
    for (const copy of copies) {
      if (want.has(copy.namespace)) continue;
      await this.kube.deleteCopy(copy.namespace, this.options.secretName);
      this.logger.info({ namespace: copy.namespace, secret: this.options.secretName }, 'collector secret: namespace not opted in, copy deleted');
    }
  }

  /** Writes one namespace's copy unless it already holds `data`. */
  private async write(namespace: string, copy: CopyRecord | undefined, data: Data, owner: string): Promise<void> {
    const { secretName, webhookConfigName } = this.options;
    if (copy !== undefined && isDeepStrictEqual(copy.data, data)) return;
    try {
      await this.kube.putCopy({ namespace, name: secretName, labels: this.labels, owner: { name: webhookConfigName, uid: owner }, data }, copy !== undefined);
      this.logger.info({ namespace, secret: secretName, keys: Object.keys(data) }, copy === undefined ? 'collector secret: copy written' : 'collector secret: copy updated');
    } catch (error) {
      this.logger.warn({ namespace, secret: secretName, err: (error as Error).message }, 'collector secret: copy not written; retried at the next sync');
    }
  }

  /** The copy's data from the sources, or undefined (said once per distinct problem) when one is unreadable. */
  private async compose(): Promise<Data | undefined> {
    try {
      const data = await composeCollectorData(this.options.sources, this.options.releaseNamespace, this.kube);
      if (this.lastProblem !== '') this.logger.info({ secret: this.options.secretName }, 'collector secret: sources readable again');
      this.lastProblem = '';
      return data;
    } catch (error) {
      this.problem(`${(error as Error).message}: the copies are left as they are`);
      return undefined;
    }
  }

  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.logger.warn({ secret: this.options.secretName }, `collector secret: ${message}`);
  }
}
