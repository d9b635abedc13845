// An in-memory CertKubeApi with the API server's semantics that matter here: create of an existing
// name fails with 409, patches carrying a stale resourceVersion fail with 409, resourceVersion
// changes on every write, JSON patches (built by the real client's caBundleOps) are applied with
// fast-json-patch and a failing `test` op fails with 422. Every call yields to the event loop so
// concurrent replicas interleave.
import fastJsonPatch from 'fast-json-patch';
import { caBundleOps } from '../../src/k8s/client.js';
import { KubeApiError } from '../../src/k8s/errors.js';
import type { CaBundleUpdate, CertKubeApi, SecretChange, SecretContent, StoredSecret, WebhookConfigView } from '../../src/k8s/types.js';

interface SecretRecord {
  resourceVersion: string;
  type: string;
  data: Record<string, string>;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

export interface FakeWebhook {
  name: string;
  clientConfig: { service?: { name: string; namespace: string }; caBundle?: string };
  [key: string]: unknown;
}

interface WebhookConfigRecord {
  metadata: { name: string; resourceVersion: string };
  webhooks: FakeWebhook[];
}

export class FakeKubeApi implements CertKubeApi {
  readonly secrets = new Map<string, SecretRecord>();
  readonly webhookConfigs = new Map<string, WebhookConfigRecord>();
  readonly calls: string[] = [];
  /** When set, every call fails with this status (0: connection refused). */
  failWith: number | undefined;
  private version = 1;

  private async enter(call: string): Promise<void> {
    this.calls.push(call);
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failWith !== undefined) throw new KubeApiError(this.failWith, call, 'injected failure');
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }

  private stored(record: SecretRecord): StoredSecret {
    return { resourceVersion: record.resourceVersion, data: { ...record.data }, annotations: { ...record.annotations } };
  }

  async getSecret(namespace: string, name: string): Promise<StoredSecret | undefined> {
    await this.enter('getSecret');
    const record = this.secrets.get(`${namespace}/${name}`);
    return record === undefined ? undefined : this.stored(record);
  }

  async createSecret(namespace: string, name: string, content: SecretContent): Promise<StoredSecret> {
    await this.enter('createSecret');
    const key = `${namespace}/${name}`;
    if (this.secrets.has(key)) throw new KubeApiError(409, 'create secret', `secrets "${name}" already exists`);
    const record: SecretRecord = {
      resourceVersion: this.nextVersion(),
      type: content.type,
      data: { ...content.data },
      annotations: { ...content.annotations },
      labels: { ...content.labels },
    };
    this.secrets.set(key, record);
    return this.stored(record);
  }

  async patchSecret(namespace: string, name: string, resourceVersion: string, change: SecretChange): Promise<StoredSecret> {
    await this.enter('patchSecret');
    const record = this.secrets.get(`${namespace}/${name}`);
    if (record === undefined) throw new KubeApiError(404, 'patch secret', 'not found');
    if (record.resourceVersion !== resourceVersion) throw new KubeApiError(409, 'patch secret', 'the object has been modified');
    for (const [target, patch] of [
      [record.data, change.data],
      [record.annotations, change.annotations],
    ] as const) {
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete target[k];
        else target[k] = v;
      }
    }
    record.resourceVersion = this.nextVersion();
    return this.stored(record);
  }

  async getWebhookConfig(name: string): Promise<WebhookConfigView | undefined> {
    await this.enter('getWebhookConfig');
    const record = this.webhookConfigs.get(name);
    if (record === undefined) return undefined;
    return {
      resourceVersion: record.metadata.resourceVersion,
      webhooks: record.webhooks.map((webhook) => {
        const raw = webhook.clientConfig.caBundle;
        return { name: webhook.name, caBundle: raw ? Buffer.from(raw, 'base64').toString('utf8') : undefined, rawCaBundle: raw || undefined };
      }),
    };
  }

  async setCaBundles(name: string, updates: readonly CaBundleUpdate[]): Promise<void> {
    await this.enter('setCaBundles');
    const record = this.webhookConfigs.get(name);
    if (record === undefined) throw new KubeApiError(404, 'patch mutatingwebhookconfiguration', 'not found');
    const ops = updates.flatMap((update) => caBundleOps(update)) as fastJsonPatch.Operation[];
    let patched: WebhookConfigRecord;
    try {
      patched = fastJsonPatch.applyPatch(structuredClone(record), ops, true, false).newDocument;
    } catch (error) {
      throw new KubeApiError(422, 'patch mutatingwebhookconfiguration', (error as Error).name);
    }
    patched.metadata.resourceVersion = this.nextVersion();
    this.webhookConfigs.set(name, patched);
  }

  // --- test controls (no event-loop yield, not part of CertKubeApi) ---

  addWebhookConfig(name: string, webhookNames: readonly string[]): void {
    this.webhookConfigs.set(name, {
      metadata: { name, resourceVersion: this.nextVersion() },
      webhooks: webhookNames.map((webhook) => ({
        name: webhook,
        clientConfig: { service: { name: 'otel-injector', namespace: 'otel-injector' } },
        sideEffects: 'None',
      })),
    });
  }

  /** Someone else (e.g. `helm upgrade`) overwrites a webhook's caBundle. */
  tamperCaBundle(name: string, index: number, pem: string | undefined): void {
    const record = this.webhookConfigs.get(name);
    const webhook = record?.webhooks[index];
    if (record === undefined || webhook === undefined) throw new Error('no such webhook');
    webhook.clientConfig.caBundle = pem === undefined ? undefined : Buffer.from(pem).toString('base64');
    record.metadata.resourceVersion = this.nextVersion();
  }

  /** The decoded caBundles of a configuration's webhooks. */
  caBundles(name: string): (string | undefined)[] {
    return (this.webhookConfigs.get(name)?.webhooks ?? []).map((webhook) =>
      webhook.clientConfig.caBundle ? Buffer.from(webhook.clientConfig.caBundle, 'base64').toString('utf8') : undefined,
    );
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }
}
