// The environment the webhook gives an app container, built by calling the webhook's own injection (so the
// tests cannot drift from it): a pod of a Deployment `<service>` is injected with the runtimes asked for and
// the payload mounted at `mountPath` (on the host: the dist/payload folder, holding one folder per runtime),
// then its container's env is expanded as the kubelet would, the pod's fields filled in.
import { injectPod } from '../../src/inject/index.js';
import { testConfig } from './admission.js';
import { kubeletEnv } from './kubelet-env.js';

export interface InjectedEnvOptions {
  readonly runtimes: readonly string[];
  /** The payload's mount path: a folder holding `<runtime>/` for each runtime (dist/payload here). */
  readonly mountPath: string;
  readonly endpoint: string;
  /** The Deployment's name: the service name the webhook derives. */
  readonly service: string;
  readonly namespace: string;
  readonly container: string;
  /** The pod-template-hash of the pod's ReplicaSet. */
  readonly hash: string;
  /** The pod name's random suffix. */
  readonly suffix: string;
  /** What the container itself sets (the webhook extends or keeps it, as in a cluster). */
  readonly containerEnv?: Readonly<Record<string, string>>;
  /** More INJECT_* settings of the webhook. */
  readonly webhook?: Readonly<Record<string, string>>;
}

const NODE = 'node-1';

/** Whether the webhook would take this as its collector endpoint (its config accepts http(s) URLs only). */
function webhookAccepts(endpoint: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(endpoint).protocol);
  } catch {
    return false;
  }
}

export function injectedEnv(o: InjectedEnvOptions): Record<string, string> {
  // A broken endpoint can only reach an app from its own container spec (the webhook refuses one in its
  // config): the container sets it, and the webhook keeps what the container sets.
  const own = webhookAccepts(o.endpoint) ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: o.endpoint };
  const endpoint = webhookAccepts(o.endpoint) ? o.endpoint : 'http://127.0.0.1:4318';
  const config = testConfig({ INJECT_MOUNT_PATH: o.mountPath, INJECT_OTLP_ENDPOINT: endpoint, INJECT_RUNTIMES: o.runtimes.join(','), ...o.webhook }).inject;
  const name = `${o.service}-${o.hash}-${o.suffix}`;
  const uid = `00000000-0000-4000-8000-${o.hash.padStart(12, '0').slice(-12)}`;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace,
      uid,
      labels: { app: o.service, 'pod-template-hash': o.hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${o.service}-${o.hash}`, uid: `rs-${uid}`, controller: true }],
    },
    spec: {
      nodeName: NODE,
      containers: [{ name: o.container, image: 'app:test', env: Object.entries({ ...own, ...o.containerEnv }).map(([k, value]) => ({ name: k, value })) }],
    },
  };
  const result = injectPod(pod, { config, namespace: o.namespace });
  if (result.decision !== 'injected') throw new Error(`the webhook did not inject the test pod: ${result.reason}`);
  const fields: Record<string, string> = { 'metadata.name': name, 'metadata.namespace': o.namespace, 'metadata.uid': uid, 'spec.nodeName': NODE };
  const env: Record<string, string> = {};
  for (const [key, value] of kubeletEnv(result.pod.spec.containers[0], result.pod)) {
    if (typeof value !== 'string') throw new Error(`${key} comes from ${value.from}: not resolvable outside a cluster`);
    env[key] = value.replace(/<fieldRef:([^>]+)>/g, (_, path: string) => fields[path] ?? '');
  }
  return env;
}

export type Env = Record<string, string | undefined>;

/**
 * A test app's whole environment: the process basics (PATH, HOME, ...), what the webhook gives the container, the
 * test's short export intervals, then the test's own variables (undefined removes one).
 */
export function appEnv(basics: Env, pod: InjectedEnvOptions, cadence: Env, extra: Env): Env {
  const env: Env = { ...basics, ...injectedEnv(pod), ...cadence, ...extra };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}
