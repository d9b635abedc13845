// The controller's API access for the collector Secret copies: reads of the named sources in the
// release namespace, the copies (one name, in every namespace: list by that name, create, update, delete),
// and the uid of the release's MutatingWebhookConfiguration that owns every copy. Errors become
// KubeApiError with the Status message only: never a request or response body (they hold keys).
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { kubeCall, kubeFind } from '../k8s/contract/api.js';
import { KubeApiError } from '../k8s/errors.js';

export interface CopyRecord {
  readonly namespace: string;
  readonly resourceVersion: string;
  /** Base64 values, as the API gives them. */
  readonly data: Readonly<Record<string, string>>;
}

export interface CopyBody {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly owner: { readonly name: string; readonly uid: string };
  readonly data: Readonly<Record<string, string>>;
}

export interface CollectorKube {
  /** A Secret's data (base64 values) in `namespace`, undefined when it does not exist. */
  secretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** A ConfigMap's data (text values), undefined when it does not exist. */
  configMapData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** The Secrets named `name` carrying `labelSelector`, in every namespace (list by metadata.name). */
  listCopies(name: string, labelSelector: string): Promise<CopyRecord[]>;
  /** Creates the copy, or updates it (taking over a Secret of that name without our label). */
  putCopy(body: CopyBody, exists: boolean): Promise<string>;
  deleteCopy(namespace: string, name: string): Promise<void>;
  /** The uid of a MutatingWebhookConfiguration, undefined when it does not exist. */
  webhookConfigUid(name: string): Promise<string | undefined>;
}

function secretOf(body: CopyBody): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: body.name,
      namespace: body.namespace,
      labels: { ...body.labels },
      ownerReferences: [{ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: body.owner.name, uid: body.owner.uid }],
    },
    data: { ...body.data },
  };
}

export function createCollectorKube(kubeConfig: KubeConfig): CollectorKube {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  return {
    async secretData(namespace, name) {
      const secret = await kubeFind(`get secret ${namespace}/${name}`, () => core.readNamespacedSecret({ name, namespace }));
      return secret === undefined ? undefined : { ...(secret.data ?? {}) };
    },
    async configMapData(namespace, name) {
      const map = await kubeFind(`get configmap ${namespace}/${name}`, () => core.readNamespacedConfigMap({ name, namespace }));
      return map === undefined ? undefined : { ...(map.data ?? {}) };
    },
    async listCopies(name, labelSelector) {
      const list = await kubeCall(`list secrets named ${name}`, () => core.listSecretForAllNamespaces({ fieldSelector: `metadata.name=${name}`, labelSelector }));
      return list.items.map((s) => ({ namespace: s.metadata?.namespace ?? '', resourceVersion: s.metadata?.resourceVersion ?? '', data: { ...(s.data ?? {}) } }));
    },
    async putCopy(body, exists) {
      const op = `${exists ? 'update' : 'create'} secret ${body.namespace}/${body.name}`;
      if (!exists) {
        try {
          const made = await kubeCall(op, () => core.createNamespacedSecret({ namespace: body.namespace, body: secretOf(body) }));
          return made.metadata?.resourceVersion ?? '';
        } catch (error) {
          if (!(error instanceof KubeApiError && error.status === 409)) throw error;
        }
      }
      // An unconditional update: the copy is entirely ours (an update with the same content writes nothing).
      const put = await kubeCall(`update secret ${body.namespace}/${body.name}`, () => core.replaceNamespacedSecret({ name: body.name, namespace: body.namespace, body: secretOf(body) }));
      return put.metadata?.resourceVersion ?? '';
    },
    async deleteCopy(namespace, name) {
      try {
        await kubeCall(`delete secret ${namespace}/${name}`, () => core.deleteNamespacedSecret({ name, namespace }));
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
    },
    async webhookConfigUid(name) {
      const config = await kubeFind(`get mutatingwebhookconfiguration ${name}`, () => admission.readMutatingWebhookConfiguration({ name }));
      return config?.metadata?.uid;
    },
  };
}
