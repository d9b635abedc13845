// The API access of the delivery support publisher: the nodes (list/watch, whole objects: labels, taints and
// nodeInfo are all it keeps), the probe (a server-side dry-run create of a tiny pod with an image volume:
// the API server drops `volumes[].image` when its ImageVolume gate is off, so whether the field survives is
// the answer), and the ConfigMap it writes. Nothing is stored by the probe (dryRun=All).
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { kubeCall } from '../k8s/contract/api.js';
import { KubeApiError } from '../k8s/errors.js';
import { KubeHttp } from './listwatch-http.js';
import type { ListWatchSource } from './ports.js';

const FIELD_MANAGER = 'otel-injector-controller';

export interface DeliveryKube {
  nodeSource(): ListWatchSource;
  /** True when the API server keeps an image volume in a (dry-run) created pod, false when it drops it. */
  keepsImageVolumes(namespace: string, name: string, image: string): Promise<boolean>;
  /** Creates or replaces the ConfigMap with this data. */
  writeConfigMap(namespace: string, name: string, data: Record<string, string>): Promise<void>;
}

/** The probe pod: valid under Pod Security restricted, no token, tiny requests; never stored (dry run). */
export function probePod(namespace: string, name: string, image: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER }, annotations: { 'otel-injector.io/inject': 'false' } },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'probe',
        image,
        resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '1m', memory: '1Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'payload', mountPath: '/probe', readOnly: true }],
      }],
      volumes: [{ name: 'payload', image: { reference: image, pullPolicy: 'IfNotPresent' } }],
    },
  };
}

export function createDeliveryKube(kubeConfig: KubeConfig): DeliveryKube {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const http = new KubeHttp(kubeConfig);
  return {
    nodeSource() {
      return http.source({ path: '/api/v1/nodes' });
    },
    async keepsImageVolumes(namespace, name, image) {
      const body = probePod(namespace, name, image);
      const created = await kubeCall(`dry-run create pod ${namespace}/${name}`, () => core.createNamespacedPod({ namespace, body, dryRun: 'All', fieldManager: FIELD_MANAGER }));
      return (created.spec?.volumes ?? []).some((volume) => volume.name === 'payload' && volume.image?.reference === image);
    },
    async writeConfigMap(namespace, name, data) {
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } }, data };
      try {
        await kubeCall(`create configmap ${namespace}/${name}`, () => core.createNamespacedConfigMap({ namespace, body, fieldManager: FIELD_MANAGER }));
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
        await kubeCall(`replace configmap ${namespace}/${name}`, () => core.replaceNamespacedConfigMap({ name, namespace, body, fieldManager: FIELD_MANAGER }));
      }
    },
  };
}
