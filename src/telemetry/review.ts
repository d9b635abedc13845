import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Counter,
  type Histogram,
  type Meter,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import type { Clock } from '../clock.js';
import type { ReviewObservation, ReviewOutcome } from './types.js';

/** Seconds; fine at the low end because a review is normally served in well under a millisecond. */
export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export const SPAN_NAME = 'admission.review';

export const NOOP_OBSERVATION: ReviewObservation = Object.freeze({
  traceId: undefined,
  end: (): void => undefined,
});

/**
 * Keeps a metric label's cardinality bounded: values are cut to `maxLength`, and once `maxValues`
 * distinct values have been seen, new ones are reported as `other` (spans keep the full value).
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly maxValues = 100,
    private readonly maxLength = 120,
  ) {}

  value(raw: string): string {
    const value = raw.length > this.maxLength ? `${raw.slice(0, this.maxLength)}…` : raw;
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.maxValues) return 'other';
    this.seen.add(value);
    return value;
  }
}

export interface AdmissionInstruments {
  readonly requests: Counter;
  readonly duration: Histogram;
  readonly reasons: BoundedLabel;
}

export function createAdmissionInstruments(meter: Meter): AdmissionInstruments {
  return {
    requests: meter.createCounter('otel_injector.admission.requests', {
      unit: '{review}',
      description: 'AdmissionReviews answered, by decision, reason and the request namespace',
    }),
    duration: meter.createHistogram('otel_injector.admission.duration', {
      unit: 's',
      description: 'Server time per AdmissionReview, by decision',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    reasons: new BoundedLabel(),
  };
}

/** Starts the review's span, a child of the caller's W3C `traceparent` when one is given and valid. */
export function startReviewSpan(tracer: Tracer, traceparent: string | undefined): Span {
  const parent = traceparent === undefined ? null : parseTraceParent(traceparent);
  const context = parent === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true });
  return tracer.startSpan(SPAN_NAME, { kind: SpanKind.SERVER }, context);
}

function finishSpan(span: Span, outcome: ReviewOutcome): void {
  span.setAttributes({
    'otel_injector.request_namespace': outcome.namespace,
    'otel_injector.decision': outcome.decision,
    'otel_injector.reason': outcome.reason,
    'otel_injector.ops': outcome.ops,
  });
  if (outcome.decision === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
  span.end();
}

/** One review: measures server time with the clock and ends the span, at most once, never throwing. */
export class Observation implements ReviewObservation {
  readonly traceId: string | undefined;
  private readonly startMs: number;
  private ended = false;

  constructor(
    private readonly instruments: AdmissionInstruments,
    private readonly clock: Clock,
    private readonly span: Span | undefined,
    private readonly onError: (err: unknown) => void,
  ) {
    this.startMs = clock.monotonicMs();
    this.traceId = span?.spanContext().traceId;
  }

  end(outcome: ReviewOutcome): void {
    if (this.ended) return;
    this.ended = true;
    try {
      const seconds = Math.max(0, this.clock.monotonicMs() - this.startMs) / 1000;
      this.instruments.requests.add(1, {
        decision: outcome.decision,
        reason: this.instruments.reasons.value(outcome.reason),
        request_namespace: outcome.namespace,
      });
      this.instruments.duration.record(seconds, { decision: outcome.decision });
      if (this.span !== undefined) finishSpan(this.span, outcome);
    } catch (err) {
      this.onError(err);
    }
  }
}
