// The cluster connection of status and doctor: the kubeconfig found the way kubectl finds it, and every
// API error turned into one message and an exit code (unreachable 4, forbidden 5), never a stack trace.
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

/** HTTP status of a client-node ApiException, 0 when the error is not an API answer. */
export function statusOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : 0;
}

function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim().slice(0, 300);
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : (error as Error).message.split('\n')[0] ?? '';
}

/** The network-level cause (ECONNREFUSED, certificate errors, ...) of a failed request. */
function networkCause(error: unknown): string {
  const seen: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') seen.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  const message = (error as Error).message ?? String(error);
  if (seen.length > 0) return `${seen[0]}: ${message}`;
  // fetch wraps the reason ("fetch failed" -> "bad port", a TLS error…): name the innermost one too
  const inner = innermostMessage(error);
  return inner === message ? message : `${message}: ${inner}`;
}

function innermostMessage(error: unknown): string {
  let current = error as { message?: unknown; cause?: unknown } | null;
  let message = String((current as Error | null)?.message ?? error);
  for (let depth = 0; depth < 4 && current?.cause !== undefined && current.cause !== null; depth += 1) {
    current = current.cause as { message?: unknown; cause?: unknown };
    if (typeof current.message === 'string') message = current.message;
  }
  return message;
}

function scope(what: Permission): string {
  return what.namespace === undefined ? 'cluster-wide' : `in namespace "${what.namespace}"`;
}

/** One line for any failure of an API call. */
export function apiError(error: unknown, what: Permission, kube: Kube): CliError {
  if (error instanceof CliError) return error;
  const status = statusOf(error);
  if (status === 401) {
    return new CliError('CLI_UNAUTHORIZED', `the API server ${kube.server} rejected the credentials of context "${kube.context}" (401 Unauthorized)`, EXIT.forbidden);
  }
  if (status === 403) {
    return new CliError(
      'CLI_FORBIDDEN',
      `forbidden: missing RBAC permission "${what.verb} ${what.resource}" ${scope(what)} (context "${kube.context}"): ${apiMessage(error)}`,
      EXIT.forbidden,
    );
  }
  if (status !== 0) {
    return new CliError('CLI_API', `${what.verb} ${what.resource} ${scope(what)} failed: HTTP ${status}: ${apiMessage(error)}`, EXIT.unreachable);
  }
  return new CliError('CLI_UNREACHABLE', `cannot reach the API server ${kube.server} (context "${kube.context}"): ${networkCause(error)}`, EXIT.unreachable);
}

/** Runs one API call; any failure becomes a CliError naming the permission or the server. */
export async function call<T>(kube: Kube, what: Permission, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw apiError(error, what, kube);
  }
}

/** Like call, but a 404 is undefined. */
export async function find<T>(kube: Kube, what: Permission, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw apiError(error, what, kube);
  }
}
