// Keeps every webhook's caBundle in the MutatingWebhookConfiguration equal to the Secret's ca.crt.
import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { KubeApiError } from '../k8s/errors.js';
import type { CaBundleUpdate, CertKubeApi, WebhookConfigView } from '../k8s/types.js';
import { chainsTo, parseBundle } from './pem.js';
import { normalizeBundle } from './secret-state.js';

/** True when the configuration has webhooks and every one's caBundle trusts `cert`. */
export function webhooksTrust(view: WebhookConfigView | undefined, cert: X509Certificate): boolean {
  if (view === undefined || view.webhooks.length === 0) return false;
  return view.webhooks.every((webhook) => chainsTo(cert, parseBundle(webhook.caBundle ?? '')));
}

function updatesFor(view: WebhookConfigView, desired: string): CaBundleUpdate[] {
  return view.webhooks.flatMap((webhook, index) =>
    normalizeBundle(webhook.caBundle) === desired
      ? []
      : [{ index, name: webhook.name, expectedRaw: webhook.rawCaBundle, caBundle: desired }],
  );
}

function withBundle(view: WebhookConfigView, desired: string): WebhookConfigView {
  const raw = Buffer.from(desired, 'utf8').toString('base64');
  return { ...view, webhooks: view.webhooks.map((webhook) => ({ ...webhook, caBundle: desired, rawCaBundle: raw })) };
}

export class WebhookBundleSync {
  private warnedMissing = false;

  constructor(
    private readonly api: CertKubeApi,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Reads the configuration and patches the caBundles that differ from `bundle`; retries once when
   * someone changed them between read and patch. Returns the configuration as it now stands
   * (undefined when it does not exist).
   */
  async sync(bundle: string): Promise<WebhookConfigView | undefined> {
    const desired = normalizeBundle(bundle);
    const first = await this.read();
    if (first === undefined || desired === '') return first;
    try {
      return await this.patch(first, desired);
    } catch (error) {
      // someone changed a caBundle between our read and our patch (failed `test` op): once more
      if (!(error instanceof KubeApiError && (error.status === 409 || error.status === 422))) throw error;
      const second = await this.read();
      return second === undefined ? undefined : this.patch(second, desired);
    }
  }

  private async read(): Promise<WebhookConfigView | undefined> {
    const view = await this.api.getWebhookConfig(this.name);
    if (view === undefined && !this.warnedMissing) {
      this.logger.warn({ webhookConfig: this.name }, 'MutatingWebhookConfiguration not found: not ready');
    }
    this.warnedMissing = view === undefined;
    return view;
  }

  private async patch(view: WebhookConfigView, desired: string): Promise<WebhookConfigView> {
    const updates = updatesFor(view, desired);
    if (updates.length === 0) return view;
    await this.api.setCaBundles(this.name, updates);
    this.logger.info(
      { webhookConfig: this.name, webhooks: updates.map((update) => update.name), cas: parseBundle(desired).length },
      'caBundle set',
    );
    return withBundle(view, desired);
  }
}
