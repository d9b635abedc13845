/** Annotations the controller reads and writes on workloads (the pod ones are in src/inject/annotations.ts). */
export const RESTART = Object.freeze({
  /** Pod template: the rollout trigger, like kubectl's kubectl.kubernetes.io/restartedAt. */
  restartedAt: 'otel-injector.io/restarted-at',
  /** Workload metadata: why it was restarted (not-seen, outdated). */
  reason: 'otel-injector.io/restart-reason',
  /** Workload metadata: rolling, done, failed. Remove a `failed` to let the controller try again. */
  state: 'otel-injector.io/restart-state',
  /** Workload metadata: when the rollout completed. */
  doneAt: 'otel-injector.io/restart-done-at',
});

export type RestartState = 'rolling' | 'done' | 'failed';

/** Event reasons the controller emits. */
export const EVENT = Object.freeze({
  uninstrumented: 'Uninstrumented',
  restart: 'InstrumentationRestart',
  restarted: 'InstrumentationRestarted',
  failed: 'InstrumentationRestartFailed',
});
