import type { V1LabelSelector, V1MutatingWebhook, V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { stringOption, type Values } from './args.js';
import { CliError, EXIT } from './errors.js';
import { apiError, statusOf, type Kube } from './kube.js';
import { DEFAULT_NAMESPACE_SELECTOR } from './selector.js';

export const DEFAULT_WEBHOOK_CONFIG = 'otel-injector';

export interface WebhookView {
  readonly name: string;
  readonly config: V1MutatingWebhookConfiguration | undefined;
  /** The pod webhook entry (the first one). */
  readonly entry: V1MutatingWebhook | undefined;
  readonly namespaceSelector: V1LabelSelector;
  readonly objectSelector: V1LabelSelector | undefined;
  /** Why the configuration could not be used, when it could not. */
  readonly problem: string | undefined;
}

export function webhookConfigName(values: Values): string {
  return stringOption(values, 'webhook-config') ?? DEFAULT_WEBHOOK_CONFIG;
}

/** The MutatingWebhookConfiguration; not found or forbidden is a `problem`, unreachable is thrown. */
export async function readWebhook(kube: Kube, name: string): Promise<WebhookView> {
  try {
    const config = await kube.admission.readMutatingWebhookConfiguration({ name });
    const entry = config.webhooks?.[0];
    return { name, config, entry, namespaceSelector: entry?.namespaceSelector ?? {}, objectSelector: entry?.objectSelector, problem: entry === undefined ? 'it has no webhooks' : undefined };
  } catch (error) {
    const status = statusOf(error);
    const fallback = { name, config: undefined, entry: undefined, namespaceSelector: DEFAULT_NAMESPACE_SELECTOR, objectSelector: undefined };
    if (status === 404) return { ...fallback, problem: `MutatingWebhookConfiguration ${name} not found` };
    const mapped = apiError(error, { verb: 'get', resource: 'mutatingwebhookconfigurations.admissionregistration.k8s.io' }, kube);
    if (mapped.exitCode === EXIT.forbidden) return { ...fallback, problem: mapped.message };
    throw mapped;
  }
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}
