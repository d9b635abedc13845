/** Pod annotations the injector reads and writes. */
export const ANNOTATION = Object.freeze({
  /** `"false"` opts a pod out. */
  inject: 'otel-injector.io/inject',
  /** What was done: `injected: <runtimes>` (e.g. `injected: node,python`) or `skipped: <reason>`. */
  status: 'otel-injector.io/status',
  /** On an injected pod: the preload image it was injected with (the controller finds outdated pods by it). */
  preload: 'otel-injector.io/preload',
  /** Containers that were left alone in an injected pod, with reasons. */
  skippedContainers: 'otel-injector.io/skipped-containers',
  /** Comma list of container names to instrument (default: all regular containers). */
  containerNames: 'otel-injector.io/container-names',
  /** Comma list of runtimes (`node`, `python`) narrowing the configured INJECT_RUNTIMES for this pod. */
  runtimes: 'otel-injector.io/runtimes',
  /** Alias of `resource.opentelemetry.io/service.name`. */
  serviceName: 'otel-injector.io/service-name',
  /** Prefix of annotations that become resource attributes (OpenTelemetry semantic conventions). */
  resourcePrefix: 'resource.opentelemetry.io/',
});

/** Prefix of the status of an instrumented pod; the runtimes follow: `injected: node,python`. */
export const STATUS_INJECTED = 'injected';

/**
 * The status annotation's value for a pod instrumented for these runtimes; `forced` are the names of the
 * variables set over whatever the containers had (INJECT_OVERRIDE_ENV): `injected: python; env forced: A,B`.
 */
export function injectedStatus(runtimes: readonly string[], forced: readonly string[] = []): string {
  const status = `${STATUS_INJECTED}: ${runtimes.join(',')}`;
  return forced.length === 0 ? status : `${status}; env forced: ${forced.join(',')}`;
}

export const LABEL = Object.freeze({
  instance: 'app.kubernetes.io/instance',
  name: 'app.kubernetes.io/name',
  version: 'app.kubernetes.io/version',
  podTemplateHash: 'pod-template-hash',
});
