// Reasons of the Events the controller records on workloads (users filter `kubectl get events` by them;
// `otel-injector status` names Uninstrumented).
export const EVENT = Object.freeze({
  uninstrumented: 'Uninstrumented',
  restart: 'InstrumentationRestart',
  restarted: 'InstrumentationRestarted',
  failed: 'InstrumentationRestartFailed',
});
