// The cluster connection of status and doctor: the kubeconfig found the way kubectl finds it, and every
// API error (src/k8s/contract/api.ts) turned into one message and an exit code (unreachable 4, forbidden 5),
// never a stack trace.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  CoordinationV1Api,
  DiscoveryV1Api,
  KubeConfig,
} from '@kubernetes/client-node';
import { kubeApiError, kubeCall, kubeFind, statusOf } from '../k8s/contract/api.js';
import { stringOption, type Values } from './args.js';
import { CliError, EXIT, inputError, usageError } from './errors.js';
import type { CliIo } from './io.js';

export interface Kube {
  readonly kc: KubeConfig;
  readonly server: string;
  readonly context: string;
  /** The context's namespace, or `default` (kubectl's default for -n). */
  readonly namespace: string;
  readonly core: CoreV1Api;
  readonly admission: AdmissionregistrationV1Api;
  readonly apps: AppsV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly coordination: CoordinationV1Api;
}

/** What a call needs, to name the missing permission when RBAC says no. */
export interface Permission {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
}

function kubeconfigFiles(values: Values, io: CliIo): { files: string[]; looked: string } {
  const flag = stringOption(values, 'kubeconfig');
  if (flag !== undefined) {
    if (!existsSync(flag)) throw inputError(`--kubeconfig ${flag}: no such file`);
    return { files: [flag], looked: flag };
  }
  const fromEnv = io.env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    const files = fromEnv.split(':').filter((file) => file !== '' && existsSync(file));
    return { files, looked: `KUBECONFIG=${fromEnv}` };
  }
  const home = join(io.env.HOME ?? '', '.kube', 'config');
  return { files: existsSync(home) ? [home] : [], looked: home };
}

function loadConfig(values: Values, io: CliIo): KubeConfig {
  const kc = new KubeConfig();
  const { files, looked } = kubeconfigFiles(values, io);
  try {
    if (files.length > 0) {
      for (const [index, file] of files.entries()) {
        if (index === 0) kc.loadFromFile(file);
        else {
          const more = new KubeConfig();
          more.loadFromFile(file);
          kc.mergeConfig(more, true);
        }
      }
    } else if (io.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
      kc.loadFromCluster();
    } else {
      throw inputError(`no kubeconfig: looked at ${looked}; set KUBECONFIG or pass --kubeconfig FILE`);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw inputError(`cannot load kubeconfig (${files.join(':') || looked}): ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  return kc;
}

export function connect(values: Values, io: CliIo): Kube {
  const kc = loadConfig(values, io);
  const context = stringOption(values, 'context');
  if (context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(context)) throw usageError(`--context ${context}: not in the kubeconfig (contexts: ${names.join(', ') || 'none'})`);
    kc.setCurrentContext(context);
  }
  const current = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw inputError(`kubeconfig: context "${current}" has no cluster; pick one with --context`);
  const namespace = kc.getContextObject(current)?.namespace ?? 'default';
  return {
    kc,
    server: cluster.server,
    context: current,
    namespace,
    core: kc.makeApiClient(CoreV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

export { statusOf };

function scope(what: Permission): string {
  return what.namespace === undefined ? 'cluster-wide' : `in namespace "${what.namespace}"`;
}

/** One line for any failure of an API call, from the contract's KubeApiError: the permission, or the server. */
export function apiError(error: unknown, what: Permission, kube: Kube): CliError {
  if (error instanceof CliError) return error;
  const { status, detail } = kubeApiError(`${what.verb} ${what.resource}`, error);
  if (status === 401) {
    return new CliError('CLI_UNAUTHORIZED', `the API server ${kube.server} rejected the credentials of context "${kube.context}" (401 Unauthorized)`, EXIT.forbidden);
  }
  if (status === 403) {
    return new CliError(
      'CLI_FORBIDDEN',
      `forbidden: missing RBAC permission "${what.verb} ${what.resource}" ${scope(what)} (context "${kube.context}"): ${detail}`,
      EXIT.forbidden,
    );
  }
  if (status !== 0) {
    return new CliError('CLI_API', `${what.verb} ${what.resource} ${scope(what)} failed: HTTP ${status}: ${detail}`, EXIT.unreachable);
  }
  return new CliError('CLI_UNREACHABLE', `cannot reach the API server ${kube.server} (context "${kube.context}"): ${detail}`, EXIT.unreachable);
}

/** Runs one API call (the contract's kubeCall); any failure becomes a CliError naming the permission or the server. */
export async function call<T>(kube: Kube, what: Permission, fn: () => Promise<T>): Promise<T> {
  try {
    return await kubeCall(`${what.verb} ${what.resource}`, fn);
  } catch (error) {
    throw apiError(error, what, kube);
  }
}

/** Like call, but a 404 is undefined (the contract's kubeFind). */
export async function find<T>(kube: Kube, what: Permission, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await kubeFind(`${what.verb} ${what.resource}`, fn);
  } catch (error) {
    throw apiError(error, what, kube);
  }
}
