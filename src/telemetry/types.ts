/** What the webhook decided for one AdmissionReview. */
export type Decision = 'injected' | 'skipped' | 'bypassed' | 'not_pod' | 'error';

export interface ReviewOutcome {
  readonly decision: Decision;
  readonly reason: string;
  readonly namespace: string;
  readonly ops: number;
}

/** One review being observed: a span (when tracing is on) and the duration measurement. */
export interface ReviewObservation {
  /** Trace id of the review's span, or undefined when tracing is off. */
  readonly traceId: string | undefined;
  end(outcome: ReviewOutcome): void;
}

export interface Telemetry {
  beginReview(): ReviewObservation;
  /** Prometheus text exposition of the same instruments, for GET /metrics. */
  prometheusText(): Promise<string>;
  shutdown(): Promise<void>;
}

/** Telemetry that records nothing (tests, and before the real one is built). */
export const noopTelemetry: Telemetry = Object.freeze({
  beginReview: (): ReviewObservation => ({ traceId: undefined, end: (): void => undefined }),
  prometheusText: async (): Promise<string> => '',
  shutdown: async (): Promise<void> => undefined,
});
