// The annotations otel-injector reads and writes: on pods (the webhook's record of what it did, and the
// user's switches) and on workloads (the controller's restart record). The webhook, the controller and
// the CLI all read these keys from here, so a pod written by one is read the same way by the others.

/** Pod annotations. */
export const ANNOTATION = Object.freeze({
  /** `"false"` opts a pod out. */
  inject: 'otel-injector.io/inject',
  /** What was done: `injected: <runtimes>` (e.g. `injected: node,python`) or `skipped: <reason>` (see status.ts). */
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

/** The payload image an injected pod records, under the current annotation or the one older releases wrote. */
export function recordedPayloadImage(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  return annotations?.[ANNOTATION.payloadImage] ?? annotations?.[ANNOTATION.legacyPayloadImage];
}

/** Workload annotations the controller writes when it restarts a workload. */
export const RESTART = Object.freeze({
  /** Pod template: the rollout trigger, like kubectl's kubectl.kubernetes.io/restartedAt (so pods carry it too). */
  restartedAt: 'otel-injector.io/restarted-at',
  /** Workload metadata: why it was restarted (not-seen, outdated). */
  reason: 'otel-injector.io/restart-reason',
  /** Workload metadata: rolling, done, failed. Remove a `failed` to let the controller try again. */
  state: 'otel-injector.io/restart-state',
  /** Workload metadata: when the rollout completed. */
  doneAt: 'otel-injector.io/restart-done-at',
});

/** Values of the RESTART.state annotation. */
export type RestartState = 'rolling' | 'done' | 'failed';
