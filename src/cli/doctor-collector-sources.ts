// `doctor`: is each copy of the collector Secret current (issue 21)? The controller composes the copies from the
// chart's sources in the release namespace; doctor reads the same sources, named in the env of the controller
// Deployment (`<webhook configuration>-controller`), composes the data the same way
// (src/controller/collector-compose.ts) and compares each copy with it, key by key, by SHA-256 digests. Only key
// names are ever reported; values stay in memory for the comparison.
import { createHash } from 'node:crypto';
import type { V1Deployment } from '@kubernetes/client-node';
import { hasCollectorSources, parseCollectorSources, type CollectorSources } from '../config/collector-sources.js';
import { EnvReader } from '../config/read.js';
import { composeCollectorData, type CollectorData } from '../controller/collector-compose.js';
import { CliError, EXIT } from './errors.js';
import { find, type Kube } from './kube.js';

/** The data every copy should hold, or why doctor cannot tell (`warn`: it should be able to; `skip`: nothing to compare with). */
export type Expected = { readonly data: CollectorData; readonly from: string } | NotCompared;
export interface NotCompared { readonly result: 'warn' | 'skip'; readonly reason: string }

const digest = (value: string): string => createHash('sha256').update(value).digest('hex');

/** The keys whose values differ between a copy and the expected data (or that only one of them has), sorted. */
export function staleKeys(copy: Readonly<Record<string, string>>, expected: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(copy), ...Object.keys(expected)]);
  return [...keys].filter((key) => digest(copy[key] ?? '\0absent') !== digest(expected[key] ?? '\0absent')).sort();
}

function literalEnv(deployment: V1Deployment): Record<string, string> {
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'controller') ?? containers[0];
  return Object.fromEntries((container?.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value] as const])));
}

async function readDeployment(kube: Kube, namespace: string, name: string): Promise<V1Deployment | undefined> {
  return find(kube, { verb: 'get', resource: 'deployments.apps', namespace }, () => kube.apps.readNamespacedDeployment({ name, namespace }));
}

/** The sources the controller Deployment names, or why there are none to compare with. */
async function controllerSources(kube: Kube, releaseNamespace: string, controllerName: string, secretName: string): Promise<CollectorSources | NotCompared> {
  const where = `${releaseNamespace}/${controllerName}`;
  let deployment: V1Deployment | undefined;
  try {
    deployment = await readDeployment(kube, releaseNamespace, controllerName);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === EXIT.forbidden) return { result: 'warn', reason: error.message };
    throw error;
  }
  if (deployment === undefined) return { result: 'skip', reason: `no controller Deployment ${where} (controller.mode=off?): the copies are kept by hand` };
  const env = literalEnv(deployment);
  let sources: CollectorSources;
  try {
    sources = parseCollectorSources(new EnvReader(env));
  } catch (error) {
    return { result: 'warn', reason: `the controller Deployment ${where} has invalid collector sources: ${(error as Error).message}` };
  }
  if (!hasCollectorSources(sources)) return { result: 'skip', reason: `the controller Deployment ${where} names no collector source: the copies are kept by hand` };
  const copyName = env.INJECT_COLLECTOR_SECRET_NAME ?? 'otel-injector-collector';
  if (copyName !== secretName) return { result: 'warn', reason: `the controller keeps Secret ${copyName}, but pods use ${secretName}` };
  return sources;
}

const dataOf = (found: { data?: Record<string, string> } | undefined): Record<string, string> | undefined => (found === undefined ? undefined : { ...(found.data ?? {}) });

/** What the copies of `secretName` should hold, from the controller's sources in `releaseNamespace`. */
export async function expectedCopy(kube: Kube, releaseNamespace: string | undefined, controllerName: string, secretName: string): Promise<Expected> {
  if (releaseNamespace === undefined) {
    return { result: 'skip', reason: 'the webhook is called by URL, so the release namespace is unknown: pass --release-namespace to compare the copies with their sources' };
  }
  const sources = await controllerSources(kube, releaseNamespace, controllerName, secretName);
  if ('result' in sources) return sources;
  const reader = {
    secretData: async (namespace: string, name: string) => dataOf(await find(kube, { verb: 'get', resource: 'secrets', namespace }, () => kube.core.readNamespacedSecret({ name, namespace }))),
    configMapData: async (namespace: string, name: string) => dataOf(await find(kube, { verb: 'get', resource: 'configmaps', namespace }, () => kube.core.readNamespacedConfigMap({ name, namespace }))),
  };
  try {
    return { data: await composeCollectorData(sources, releaseNamespace, reader), from: releaseNamespace };
  } catch (error) {
    return { result: 'warn', reason: `cannot compose the copy from its sources: ${(error as Error).message}` };
  }
}
