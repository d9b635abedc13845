// Kubernetes objects and small API helpers for the e2e tests.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
} from '@kubernetes/client-node';

export interface Apis {
  core: CoreV1Api;
  admission: AdmissionregistrationV1Api;
}

export function apis(kc: KubeConfig): Apis {
  return { core: kc.makeApiClient(CoreV1Api), admission: kc.makeApiClient(AdmissionregistrationV1Api) };
}

export const INJECT_LABEL = 'otel-injector.io/inject';
export const STATUS_ANNOTATION = 'otel-injector.io/status';
export const BYPASS_ANNOTATION = 'otel-injector.io/inject';

export async function createNamespace(core: CoreV1Api, name: string, labels: Record<string, string> = {}): Promise<void> {
  await core.createNamespace({ body: { metadata: { name, labels } } });
}

/** A container that Pod Security `restricted` admits. */
function restrictedContainer(name: string, image: string): NonNullable<V1Pod['spec']>['containers'][number] {
  return {
    name,
    image,
    env: [{ name: 'APP_ENV', value: 'e2e' }],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/**
 * A pod shaped like one a Deployment's ReplicaSet creates: generateName
 * `<deploy>-<hash>-`, label pod-template-hash, controller owner ReplicaSet
 * `<deploy>-<hash>`. Compliant with Pod Security `restricted`.
 */
export function deploymentPod(deploy: string, hash = '7d9f8b6c5', annotations: Record<string, string> = {}): V1Pod {
  const rs = `${deploy}-${hash}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs}-`,
      labels: { app: deploy, 'pod-template-hash': hash },
      annotations,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: randomUUID(), controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [restrictedContainer('app', 'registry.invalid/e2e/node-app:1')],
    },
  };
}

/** Create or replace a MutatingWebhookConfiguration. */
export async function applyWebhookConfig(admission: AdmissionregistrationV1Api, body: V1MutatingWebhookConfiguration): Promise<void> {
  const name = body.metadata?.name ?? '';
  try {
    const existing = await admission.readMutatingWebhookConfiguration({ name });
    body.metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
    await admission.replaceMutatingWebhookConfiguration({ name, body });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
    const { resourceVersion: _drop, ...meta } = body.metadata ?? {};
    await admission.createMutatingWebhookConfiguration({ body: { ...body, metadata: meta } });
  }
}

/** HTTP status of a client-node ApiException (0 if not one). */
export function statusCode(err: unknown): number {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : 0;
}

export function errorBody(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  return typeof body === 'string' ? body : JSON.stringify(body ?? String(err));
}

/** Retries `fn` until it returns a value that `ok` accepts; returns the last value. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(250);
  }
}

/** The status is `injected: <runtimes>` (`injected: node,python`); any runtime counts. */
export function isInjected(pod: V1Pod): boolean {
  return /^injected: \S/.test(pod.metadata?.annotations?.[STATUS_ANNOTATION] ?? '');
}

export function envOf(pod: V1Pod, container: string, name: string): string | undefined {
  const c = [...(pod.spec?.containers ?? [])].find((x) => x.name === container);
  return c?.env?.find((e) => e.name === name)?.value;
}
