/** Pod annotations the injector reads and writes. */
export const ANNOTATION = Object.freeze({
  /** `"false"` opts a pod out. */
  inject: 'otel-injector.io/inject',
  /** What was done: `injected` or `skipped: <reason>`. */
  status: 'otel-injector.io/status',
  /** Containers that were left alone in an injected pod, with reasons. */
  skippedContainers: 'otel-injector.io/skipped-containers',
  /** Comma list of container names to instrument (default: all regular containers). */
  containerNames: 'otel-injector.io/container-names',
  /** Alias of `resource.opentelemetry.io/service.name`. */
  serviceName: 'otel-injector.io/service-name',
  /** Prefix of annotations that become resource attributes (OpenTelemetry semantic conventions). */
  resourcePrefix: 'resource.opentelemetry.io/',
});

export const STATUS_INJECTED = 'injected';

export const LABEL = Object.freeze({
  instance: 'app.kubernetes.io/instance',
  name: 'app.kubernetes.io/name',
  version: 'app.kubernetes.io/version',
  podTemplateHash: 'pod-template-hash',
});
