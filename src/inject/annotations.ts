/** Pod annotations the injector reads and writes. */
export const ANNOTATION = Object.freeze({
  /** `"false"` opts a pod out. */
  inject: 'otel-injector.io/inject',
  /** What was done: `injected: <runtimes>` (e.g. `injected: node,python`) or `skipped: <reason>`. */
  status: 'otel-injector.io/status',
  /** On an injected pod: the payload image it was injected with (the controller finds outdated pods by it). */
  payloadImage: 'otel-injector.io/payload-image',
  /**
   * The same, as written by releases before the payload image had its name (`otel-injector.io/preload`): a pod
   * injected then still counts as injected with that image, and is not rolled for the new name alone.
   */
  legacyPayloadImage: 'otel-injector.io/preload',
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

/** The payload image an injected pod records, under the current annotation or the one older releases wrote. */
export function recordedPayloadImage(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  return annotations?.[ANNOTATION.payloadImage] ?? annotations?.[ANNOTATION.legacyPayloadImage];
}

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
