import type { InjectConfig } from '../config/index.js';
import type { Extension, Runtime } from '../runtimes/index.js';
import {
  attributeKeys,
  escapeLiteral,
  extendVariable,
  fieldRefsOf,
  fieldRefVariables,
  lastIndexOf,
  renderAttributes,
  reservedNames,
} from './env.js';
import { credentialPlan, signalEndpointEnv } from './collector.js';
import { resourceAttributesOf, serviceNameOf, type PodFacts } from './service.js';
import type { Container, EnvVar, VolumeMount } from './types.js';

/**
 * What to do with one selected container. `runtimes`: for `inject` the runtimes to switch on, for `already`
 * those an earlier pass switched on. `skips`: reasons, each `<runtime>: <why>` for a runtime left out (or one
 * reason without a runtime when the whole container is left alone for a reason of its own).
 */
export interface ContainerPlan {
  readonly kind: 'inject' | 'already' | 'skip';
  readonly runtimes: readonly Runtime[];
  readonly skips: readonly string[];
}

type RuntimePlan = 'inject' | 'already' | { readonly skip: string };

/**
 * One runtime in one container. A variable from valueFrom is left alone: its value is only known to the
 * kubelet, and composing it through $(VAR) would hand the runtime the literal text "$(VAR)" (for node: a
 * crash) whenever the referenced key is missing and optional.
 */
function planRuntime(env: readonly EnvVar[], runtime: Runtime, config: InjectConfig): RuntimePlan {
  const user = env[lastIndexOf(env, runtime.variable)];
  if (user?.valueFrom !== undefined) return { skip: `${runtime.variable} comes from valueFrom` };
  const value = user?.value ?? '';
  if (runtime.loaded(value, config)) return 'already';
  const foreign = runtime.foreign(value);
  return foreign === undefined ? 'inject' : { skip: foreign };
}

/** Decides what to do with one selected container for the runtimes selected for its pod. */
export function planContainer(
  container: Container,
  runtimes: readonly Runtime[],
  volumeName: string | undefined,
  config: InjectConfig,
): ContainerPlan {
  const env = container.env ?? [];
  const plans = runtimes.map((runtime) => [runtime, planRuntime(env, runtime, config)] as const);
  const skips = plans.flatMap(([runtime, plan]) => (typeof plan === 'object' ? [`${runtime.name}: ${plan.skip}`] : []));
  const loaded = plans.filter(([, plan]) => plan === 'already').map(([runtime]) => runtime);
  // At the mount path (init container) or under it (image volume: one mount per runtime).
  const under = `${config.mountPath}/`;
  const mount = (container.volumeMounts ?? []).find((item) => item.mountPath === config.mountPath || item.mountPath.startsWith(under));
  if ((mount !== undefined && mount.name === volumeName) || loaded.length > 0) return { kind: 'already', runtimes: loaded, skips };
  if (mount !== undefined) return { kind: 'skip', runtimes: [], skips: [`${mount.mountPath} is already mounted`] };
  const todo = plans.filter(([, plan]) => plan === 'inject').map(([runtime]) => runtime);
  return { kind: todo.length === 0 ? 'skip' : 'inject', runtimes: todo, skips };
}

const ATTRIBUTES: Extension = { separator: ',', placement: 'append', blankIsEmpty: true };

function isSet(env: readonly EnvVar[], name: string): boolean {
  return lastIndexOf(env, name) >= 0;
}

function standardEnv(facts: PodFacts, container: Container, config: InjectConfig, env: readonly EnvVar[]): EnvVar[] {
  const userAttributes = env[lastIndexOf(env, 'OTEL_RESOURCE_ATTRIBUTES')]?.value ?? '';
  const wanted: Array<[string, string]> = [
    ['OTEL_EXPORTER_OTLP_ENDPOINT', config.otlpEndpoint],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf'],
    ['OTEL_TRACES_EXPORTER', 'otlp'],
    ['OTEL_METRICS_EXPORTER', 'otlp'],
    ['OTEL_LOGS_EXPORTER', 'otlp'],
    ['OTEL_PROPAGATORS', 'tracecontext,baggage'],
    ...signalEndpointEnv(env, config).map(({ name, value }): [string, string] => [name, value ?? '']),
    ...Object.entries(config.extraEnv),
  ];
  // A service.name in the user's own OTEL_RESOURCE_ATTRIBUTES is the user's choice: OTEL_SERVICE_NAME would override it.
  if (!attributeKeys(userAttributes).has('service.name')) {
    wanted.unshift(['OTEL_SERVICE_NAME', escapeLiteral(serviceNameOf(facts, container))]);
  }
  const added = new Set<string>();
  return wanted
    .filter(([name]) => !isSet(env, name) && !added.has(name) && added.add(name))
    .map(([name, value]) => ({ name, value }));
}

/**
 * OTEL_RESOURCE_ATTRIBUTES: a literal the user set keeps every key and value it has and is extended with the
 * missing keys; one from valueFrom is left as it is. Returns the new env list.
 */
function withResourceAttributes(facts: PodFacts, container: Container, env: EnvVar[]): EnvVar[] {
  const user = env[lastIndexOf(env, 'OTEL_RESOURCE_ATTRIBUTES')];
  if (user?.valueFrom !== undefined) return env;
  const userKeys = attributeKeys(user?.value ?? '');
  const attributes = resourceAttributesOf(facts, container).filter(({ key }) => !userKeys.has(key));
  if (attributes.length === 0) return env;
  const variables = fieldRefVariables(fieldRefsOf(attributes), reservedNames(env));
  const extended = extendVariable(env, 'OTEL_RESOURCE_ATTRIBUTES', renderAttributes(attributes, variables.names), ATTRIBUTES);
  // The downward-API variables must come before the entry that references them (their names collide with nothing).
  const index = lastIndexOf(extended, 'OTEL_RESOURCE_ATTRIBUTES');
  return [...extended.slice(0, index), ...variables.entries, ...extended.slice(index)];
}

/**
 * The configured overrides (INJECT_OVERRIDE_ENV), last: every entry of that name gets the forced literal (a
 * valueFrom is dropped), in place, so entries after it that reference $(NAME) see the forced value too; a
 * name the container does not set is added.
 */
export function withOverrides(env: readonly EnvVar[], overrides: Readonly<Record<string, string>>): EnvVar[] {
  let result = [...env];
  for (const [name, value] of Object.entries(overrides)) {
    const forced = { name, value: escapeLiteral(value) };
    result = lastIndexOf(result, name) < 0 ? [...result, forced] : result.map((entry) => (entry.name === name ? forced : entry));
  }
  return result;
}

/**
 * Instruments one container in place (the caller works on a clone): the common OTEL_* env, the collector's
 * credentials by reference, each runtime's variable, the configured overrides, the read-only mounts of the
 * payload (`payloadMounts`: the emptyDir at the mount path, or the image volume per runtime) and (when files of it are used) of the collector Secret, whose volume `collectorVolume`
 * adds to the pod once.
 */
export function injectContainer(
  container: Container,
  facts: PodFacts,
  payloadMounts: (runtimeNames: readonly string[]) => VolumeMount[],
  runtimes: readonly Runtime[],
  config: InjectConfig,
  collectorVolume: () => string,
): void {
  const original = container.env ?? [];
  const credentials = credentialPlan(container, config);
  let env = [...original, ...standardEnv(facts, container, config, original), ...credentials.env];
  env = withResourceAttributes(facts, container, env);
  for (const runtime of runtimes) env = extendVariable(env, runtime.variable, runtime.entry(config), runtime.extension);
  container.env = withOverrides(env, config.overrideEnv);
  const mounts = [...(container.volumeMounts ?? []), ...payloadMounts(runtimes.map((runtime) => runtime.name))];
  if (credentials.mount) mounts.push({ name: collectorVolume(), mountPath: config.collector.mountPath, readOnly: true });
  container.volumeMounts = mounts;
}
