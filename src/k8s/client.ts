// CertKubeApi on @kubernetes/client-node 2.x (CoreV1Api, AdmissionregistrationV1Api).
// The MutatingWebhookConfiguration is only ever read and JSON-patched field by field: it is never
// round-tripped through the client's ObjectSerializer into a replace (that would drop fields the
// client does not model and race with other writers).
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import { kubeCall, kubeFind } from './contract/api.js';
import type { CaBundleUpdate, CertKubeApi, SecretChange, SecretContent, StoredSecret, WebhookConfigView } from './types.js';

const FIELD_MANAGER = 'otel-injector';

function encode(data: Readonly<Record<string, string | null>>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(data)) out[key] = value === null ? null : Buffer.from(value, 'utf8').toString('base64');
  return out;
}

function decode(data: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data ?? {})) out[key] = Buffer.from(value, 'base64').toString('utf8');
  return out;
}

function toStored(secret: V1Secret): StoredSecret {
  return {
    resourceVersion: secret.metadata?.resourceVersion ?? '',
    data: decode(secret.data),
    annotations: { ...(secret.metadata?.annotations ?? {}) },
  };
}

export function createCertKubeApi(kubeConfig: KubeConfig): CertKubeApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  return {
    async getSecret(namespace, name): Promise<StoredSecret | undefined> {
      const secret = await kubeFind(`get secret ${namespace}/${name}`, () => core.readNamespacedSecret({ name, namespace }));
      return secret === undefined ? undefined : toStored(secret);
    },
    async createSecret(namespace, name, content: SecretContent): Promise<StoredSecret> {
      const body: V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace, annotations: { ...content.annotations }, labels: { ...content.labels } },
        type: content.type,
        data: encode(content.data) as Record<string, string>,
      };
      return toStored(
        await kubeCall(`create secret ${namespace}/${name}`, () =>
          core.createNamespacedSecret({ namespace, body, fieldManager: FIELD_MANAGER }),
        ),
      );
    },
    async patchSecret(namespace, name, resourceVersion, change: SecretChange): Promise<StoredSecret> {
      const body = { metadata: { resourceVersion, annotations: change.annotations }, data: encode(change.data) };
      return toStored(
        await kubeCall(`patch secret ${namespace}/${name}`, () =>
          core.patchNamespacedSecret(
            { name, namespace, body, fieldManager: FIELD_MANAGER },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        ),
      );
    },
    async getWebhookConfig(name): Promise<WebhookConfigView | undefined> {
      const config = await kubeFind(`get mutatingwebhookconfiguration ${name}`, () =>
        admission.readMutatingWebhookConfiguration({ name }),
      );
      if (config === undefined) return undefined;
      return {
        resourceVersion: config.metadata?.resourceVersion ?? '',
        webhooks: (config.webhooks ?? []).map((webhook) => {
          const raw = webhook.clientConfig.caBundle;
          return {
            name: webhook.name,
            caBundle: raw ? Buffer.from(raw, 'base64').toString('utf8') : undefined,
            rawCaBundle: raw ? raw : undefined,
          };
        }),
      };
    },
    async setCaBundles(name, updates: readonly CaBundleUpdate[]): Promise<void> {
      const body = updates.flatMap((update) => caBundleOps(update));
      await kubeCall(`patch mutatingwebhookconfiguration ${name}`, () =>
        admission.patchMutatingWebhookConfiguration(
          { name, body, fieldManager: FIELD_MANAGER },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
    },
  };
}

/** JSON patch ops for one webhook: test its name and old caBundle, then set the new one. */
export function caBundleOps(update: CaBundleUpdate): object[] {
  const path = `/webhooks/${update.index}`;
  const value = Buffer.from(update.caBundle, 'utf8').toString('base64');
  const ops: object[] = [{ op: 'test', path: `${path}/name`, value: update.name }];
  if (update.expectedRaw === undefined) {
    // absent or empty: `add` sets the member whether or not it exists
    return [...ops, { op: 'add', path: `${path}/clientConfig/caBundle`, value }];
  }
  return [
    ...ops,
    { op: 'test', path: `${path}/clientConfig/caBundle`, value: update.expectedRaw },
    { op: 'replace', path: `${path}/clientConfig/caBundle`, value },
  ];
}
