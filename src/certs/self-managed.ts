// `self-managed` mode: the webhook issues its own CA and serving certificate, keeps them in a
// Secret shared by all replicas, keeps its MutatingWebhookConfiguration's caBundle in sync and
// rotates without dropping an admission call (protocol: docs/certificates.md).
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CertConfig } from '../config/index.js';
import { KubeApiError } from '../k8s/errors.js';
import type { CertKubeApi, StoredSecret, WebhookConfigView } from '../k8s/types.js';
import { issueChain, serviceHosts } from './issue.js';
import { describe } from './pem.js';
import { CA_VALIDITY_FACTOR, buildChange, planStep, type PlanContext } from './rotation.js';
import {
  KEY_CA_CRT,
  KEY_CA_KEY,
  KEY_TLS_CRT,
  KEY_TLS_KEY,
  SECRET_LABELS,
  SECRET_TYPE,
  bundlePem,
  parseSecret,
  type SecretState,
} from './secret-state.js';
import type { CertificateSource, TlsMaterial } from './types.js';
import { WebhookBundleSync, webhooksTrust } from './webhook-sync.js';
import { notifyListeners } from './listeners.js';

export interface SelfManagedOptions {
  /** Length of each rotation overlap phase; default 2 x check interval + 30 s. */
  readonly overlapMs?: number;
  /** Re-check delay while not ready (e.g. the webhook configuration does not exist yet). */
  readonly notReadyRetryMs?: number;
  /** Secret steps tried per check before giving up until the next one. */
  readonly maxSteps?: number;
}

interface Served {
  readonly material: TlsMaterial;
  readonly x509: X509Certificate;
}

type Listener = (material: TlsMaterial) => void;

/** The webhook configuration as read this check; `known` false when reading it failed. */
interface WebhookResult {
  readonly view: WebhookConfigView | undefined;
  readonly known: boolean;
}

export class SelfManagedSource implements CertificateSource {
  private served: Served | undefined;
  private ready = false;
  private readonly listeners: Listener[] = [];
  private readonly webhooks: WebhookBundleSync;
  private readonly hosts: readonly string[];
  private readonly overlapMs: number;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: { logger: Logger; clock: Clock; api: CertKubeApi },
    private readonly config: CertConfig,
    private readonly options: SelfManagedOptions = {},
  ) {
    this.webhooks = new WebhookBundleSync(deps.api, config.webhookConfigName, deps.logger);
    this.hosts = serviceHosts(config.serviceName, config.namespace);
    this.overlapMs = options.overlapMs ?? 2 * config.checkIntervalSeconds * 1000 + 30_000;
  }

  async start(): Promise<TlsMaterial> {
    await this.checkNow();
    if (this.served === undefined) await this.serveTemporary();
    this.scheduleNext();
    return (this.served as Served).material;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  isReady(): boolean {
    return this.ready;
  }

  expiry(): Date | undefined {
    return this.served === undefined ? undefined : new Date(this.served.x509.validTo);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.queue;
  }

  /** Runs one full check now (Secret, caBundle, served certificate); resolves false on API errors. */
  checkNow(): Promise<boolean> {
    const run = this.queue.then(() => this.check());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const interval = this.config.checkIntervalSeconds * 1000;
    const delay = this.ready ? interval : Math.min(interval, this.options.notReadyRetryMs ?? 2000);
    this.timer = setTimeout(() => {
      void this.checkNow().then(() => this.scheduleNext());
    }, delay);
    this.timer.unref();
  }

  private async check(): Promise<boolean> {
    if (this.stopped) return false;
    try {
      const { state, webhooks } = await this.reconcile();
      this.serve(state, webhooks);
      // unknown caBundle (API error): keep the last readiness, an API blip must not empty the Service
      if (webhooks.known) this.setReady(this.served !== undefined && webhooksTrust(webhooks.view, this.served.x509));
      return webhooks.known;
    } catch (error) {
      this.warnApi('certificate check failed; will retry', error);
      return false;
    }
  }

  private warnApi(message: string, error: unknown): void {
    const fields = error instanceof KubeApiError ? { code: error.code, status: error.status } : {};
    this.deps.logger.warn({ ...fields, err: (error as Error).message }, message);
  }

  /** Syncs the caBundles; on an API error (e.g. RBAC) the configuration is unknown but the Secret still served. */
  private async syncWebhooks(state: SecretState): Promise<WebhookResult> {
    try {
      return { view: await this.webhooks.sync(bundlePem(state.bundle)), known: true };
    } catch (error) {
      this.warnApi('caBundle check failed; will retry', error);
      return { view: undefined, known: false };
    }
  }

  private context(view: WebhookConfigView | undefined, state: SecretState): PlanContext {
    return {
      now: this.deps.clock.now(),
      hosts: this.hosts,
      validityDays: this.config.validityDays,
      overlapMs: this.overlapMs,
      webhookTrustsSigning: state.signing !== undefined && webhooksTrust(view, state.signing.x509),
    };
  }

  /** Brings the Secret up to date step by step, keeping the caBundle in sync after each step. */
  private async reconcile(): Promise<{ state: SecretState; webhooks: WebhookResult }> {
    const { namespace, secretName } = this.config;
    let secret = await this.deps.api.getSecret(namespace, secretName);
    for (let steps = 0; ; steps++) {
      secret ??= await this.create();
      const state = parseSecret(secret);
      const webhooks = await this.syncWebhooks(state);
      const context = this.context(webhooks.view, state);
      const step = planStep(state, context);
      if (step.kind === 'none' || steps >= (this.options.maxSteps ?? 6)) return { state, webhooks };
      const began = this.deps.clock.monotonicMs();
      const change = await buildChange(step, state, context);
      if (change === undefined) return { state, webhooks };
      try {
        secret = await this.deps.api.patchSecret(namespace, secretName, state.resourceVersion, change);
        this.deps.logger.info(
          { step: step.kind, reason: step.reason, ms: Math.round(this.deps.clock.monotonicMs() - began), secret: secretName },
          'certificate Secret updated',
        );
      } catch (error) {
        if (!(error instanceof KubeApiError && error.isConflict)) throw error;
        this.deps.logger.debug({ step: step.kind }, 'another replica updated the Secret first; re-reading');
        secret = await this.deps.api.getSecret(namespace, secretName);
      }
    }
  }

  /** Creates the Secret with a fresh chain; when another replica won the race, returns the winner's. */
  private async create(): Promise<StoredSecret> {
    const { namespace, secretName } = this.config;
    const now = this.deps.clock.now();
    const chain = await issueChain(this.hosts, this.config.validityDays, this.config.validityDays * CA_VALIDITY_FACTOR, now);
    try {
      const created = await this.deps.api.createSecret(namespace, secretName, {
        type: SECRET_TYPE,
        labels: SECRET_LABELS,
        annotations: {},
        data: {
          [KEY_TLS_CRT]: chain.serving.certPem,
          [KEY_TLS_KEY]: chain.serving.keyPem,
          [KEY_CA_CRT]: chain.ca.certPem,
          [KEY_CA_KEY]: chain.ca.keyPem,
        },
      });
      this.deps.logger.info({ secret: secretName, namespace }, 'created certificate Secret');
      return created;
    } catch (error) {
      if (!(error instanceof KubeApiError && error.isConflict)) throw error;
      const winner = await this.deps.api.getSecret(namespace, secretName);
      if (winner === undefined) throw error;
      this.deps.logger.info({ secret: secretName }, 'another replica created the Secret first; using it');
      return winner;
    }
  }

  /** Serves the Secret's certificate unless that would swap a trusted one for an untrusted one. */
  private serve(state: SecretState, { view, known }: WebhookResult): void {
    const next = state.serving;
    if (next === undefined) return;
    const current = this.served;
    if (current !== undefined && sameMaterial(current.material, next.material)) return;
    if (current !== undefined && known && webhooksTrust(view, current.x509) && !webhooksTrust(view, next.x509)) {
      this.deps.logger.warn({ cert: describe(next.x509) }, 'caBundle does not trust the new certificate yet; keeping the current one');
      return;
    }
    this.served = { material: next.material, x509: next.x509 };
    this.deps.logger.info({ cert: describe(next.x509), previous: current?.x509.serialNumber }, 'serving certificate from Secret');
    if (current !== undefined) this.emit(next.material);
  }

  private async serveTemporary(): Promise<void> {
    const chain = await issueChain(this.hosts, 1, 1, this.deps.clock.now());
    const previous = this.served;
    this.served = { material: { cert: chain.serving.certPem, key: chain.serving.keyPem }, x509: new X509Certificate(chain.serving.certPem) };
    this.deps.logger.error('no certificate from the Secret yet: serving a temporary one, not ready until the Secret is usable');
    if (previous !== undefined) this.emit(this.served.material);
  }

  private setReady(ready: boolean): void {
    if (ready !== this.ready) this.deps.logger.info({ ready }, ready ? 'caBundle trusts the served certificate: ready' : 'not ready');
    this.ready = ready;
  }

  private emit(material: TlsMaterial): void {
    notifyListeners(this.listeners, material, this.deps.logger);
  }
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.cert === b.cert && a.key === b.key;
}
