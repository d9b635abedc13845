// Deployments of the suite's app and small API helpers around them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppsV1Api, CoreV1Api, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { APP_IMAGE } from './images.js';

export const APP_PORT = 8080;

export interface AppOptions {
  env?: Record<string, string>;
  annotations?: Record<string, string>;
  graceSeconds?: number;
  /** the app image: the Node.js app (default) or PY_APP_IMAGE; both serve /healthz and /work on PORT */
  image?: string;
  /** the container's command (default: the image's) */
  command?: string[];
}

/** A Deployment of the app, compliant with Pod Security `restricted`; the user is the image's (65532). */
export function appDeployment(name: string, opts: AppOptions = {}): V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: opts.annotations ?? {} },
        spec: {
          terminationGracePeriodSeconds: opts.graceSeconds ?? 10,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'app',
              image: opts.image ?? APP_IMAGE,
              imagePullPolicy: 'Never',
              ...(opts.command === undefined ? {} : { command: opts.command }),
              env: Object.entries({ PORT: String(APP_PORT), ...opts.env }).map(([k, v]) => ({ name: k, value: v })),
              ports: [{ containerPort: APP_PORT }],
              readinessProbe: { httpGet: { path: '/healthz', port: APP_PORT }, periodSeconds: 1, failureThreshold: 30 },
              resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

export async function podsOf(core: CoreV1Api, namespace: string, app: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return list.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
}

function ready(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export interface Rollout {
  pod: V1Pod;
  /** Deployment created -> pod Ready, ms */
  readyMs: number;
}

/** Creates the Deployment and waits for its one pod to be Ready; throws with the pod's status on timeout. */
export async function deployAndWait(apps: AppsV1Api, core: CoreV1Api, namespace: string, body: V1Deployment, timeoutMs = 120_000): Promise<Rollout> {
  const name = body.metadata?.name ?? '';
  const t0 = Date.now();
  await apps.createNamespacedDeployment({ namespace, body });
  let last: V1Pod[] = [];
  while (Date.now() - t0 < timeoutMs) {
    last = await podsOf(core, namespace, name);
    const pod = last.find(ready);
    if (pod !== undefined) return { pod, readyMs: Date.now() - t0 };
    await sleep(250);
  }
  throw new Error(`${namespace}/${name}: no Ready pod after ${timeoutMs} ms: ${JSON.stringify(last.map((p) => p.status))}`);
}

/** Deletes the pod and waits until the API server no longer has it (the kubelet confirmed the containers gone). */
export async function deleteAndWaitGone(core: CoreV1Api, pod: V1Pod, timeoutMs = 90_000): Promise<number> {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const t0 = Date.now();
  await core.deleteNamespacedPod({ name, namespace });
  while (Date.now() - t0 < timeoutMs) {
    try {
      const p = await core.readNamespacedPod({ name, namespace });
      if (p.metadata?.uid !== pod.metadata?.uid) break;
    } catch {
      break;
    }
    await sleep(100);
  }
  return Date.now() - t0;
}

/** One HTTP GET from the host to a pod on the suite's bridge. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}
