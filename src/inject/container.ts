import type { InjectConfig } from '../config/index.js';
import {
  attributeKeys,
  escapeLiteral,
  extendLiteral,
  fieldRefsOf,
  fieldRefVariables,
  lastIndexOf,
  renderAttributes,
  reservedNames,
} from './env.js';
import { resourceAttributesOf, serviceNameOf, type PodFacts } from './service.js';
import type { Container, EnvVar } from './types.js';

export type ContainerPlan =
  | { readonly kind: 'inject' }
  | { readonly kind: 'already' }
  | { readonly kind: 'skip'; readonly reason: string };

/** `--require <mount>/<file>`: what NODE_OPTIONS gets. */
export function requireFlag(config: InjectConfig): string {
  return `--require ${config.mountPath}/${config.preloadFile}`;
}

const OTHER_INJECTOR = /--require\s+\S*otel-auto-instrumentation/;

/**
 * Decides what to do with one selected container. A NODE_OPTIONS from valueFrom is left alone: its value
 * is only known to the kubelet, and composing it through $(NODE_OPTIONS) would hand node the literal text
 * "$(NODE_OPTIONS)" (and crash it) whenever the referenced key is missing and optional.
 */
export function planContainer(container: Container, volumeName: string | undefined, config: InjectConfig): ContainerPlan {
  const env = container.env ?? [];
  const nodeOptions = env[lastIndexOf(env, 'NODE_OPTIONS')];
  if (nodeOptions?.valueFrom !== undefined) {
    return { kind: 'skip', reason: 'NODE_OPTIONS comes from valueFrom' };
  }
  return planByMount(container, nodeOptions?.value ?? '', volumeName, config);
}

function planByMount(container: Container, options: string, volumeName: string | undefined, config: InjectConfig): ContainerPlan {
  if (options.includes(requireFlag(config))) return { kind: 'already' };
  const mount = (container.volumeMounts ?? []).find((item) => item.mountPath === config.mountPath);
  if (mount !== undefined) {
    return mount.name === volumeName ? { kind: 'already' } : { kind: 'skip', reason: `${config.mountPath} is already mounted` };
  }
  if (OTHER_INJECTOR.test(options)) return { kind: 'skip', reason: 'instrumented by another injector' };
  return { kind: 'inject' };
}

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
  const extended = extendLiteral(env, 'OTEL_RESOURCE_ATTRIBUTES', renderAttributes(attributes, variables.names), ',');
  // The downward-API variables must come before the entry that references them (their names collide with nothing).
  const index = lastIndexOf(extended, 'OTEL_RESOURCE_ATTRIBUTES');
  return [...extended.slice(0, index), ...variables.entries, ...extended.slice(index)];
}

/** Instruments one container in place (the caller works on a clone): env, NODE_OPTIONS, read-only mount. */
export function injectContainer(container: Container, facts: PodFacts, volumeName: string, config: InjectConfig): void {
  const original = container.env ?? [];
  let env = [...original, ...standardEnv(facts, container, config, original)];
  env = withResourceAttributes(facts, container, env);
  container.env = extendLiteral(env, 'NODE_OPTIONS', requireFlag(config), ' ');
  container.volumeMounts = [...(container.volumeMounts ?? []), { name: volumeName, mountPath: config.mountPath, readOnly: true }];
}
