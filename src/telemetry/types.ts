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
  /**
   * Starts observing one review. `traceparent` is the request's W3C header, if any (kube-apiserver sends
   * one when its own tracing is on): the review's span then joins the apiserver's trace.
   */
  beginReview(traceparent?: string): ReviewObservation;
  /** Prometheus text exposition (0.0.4) of the same instruments, for GET /metrics; rejects only after shutdown. */
  prometheusText(): Promise<string>;
  /** Flushes pending metrics and spans (bounded in time) and stops; never rejects. */
  shutdown(): Promise<void>;
}

/** Telemetry that records nothing (tests, and before the real one is built). */
export const noopTelemetry: Telemetry = Object.freeze({
  beginReview: (): ReviewObservation => ({ traceId: undefined, end: (): void => undefined }),
  prometheusText: async (): Promise<string> => '',
  shutdown: async (): Promise<void> => undefined,
});
