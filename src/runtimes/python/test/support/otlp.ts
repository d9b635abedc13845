// Reading what the OTLP receiver (test/support/receiver.mjs, protobuf decoded) got from the Python apps.
import { startReceiver, type MetricRecord, type Receiver, type ReceiverState, type SpanRecord } from '../../../../../test/support/receiver.mjs';

export { startReceiver };
export type { MetricRecord, Receiver, ReceiverState, SpanRecord };

export const INTERNAL = 1;
export const SERVER = 2;
export const CLIENT = 3;
export const PRODUCER = 4;
export const CONSUMER = 5;

export const ofService = (service: string) => (s: { resource: Record<string, unknown> }): boolean => s.resource['service.name'] === service;

export function serverSpan(st: ReceiverState, service: string, route: string): SpanRecord | undefined {
  return st.spans.find((s) => s.kind === SERVER && s.resource['service.name'] === service && s.attributes['http.route'] === route);
}

/** The attribute under its current semantic-convention name or its older one. */
export function attr(s: { attributes: Record<string, unknown> }, ...names: string[]): unknown {
  for (const n of names) if (s.attributes[n] !== undefined) return s.attributes[n];
  return undefined;
}

/** True when `span` is `ancestor` or descends from it through spans the receiver has. */
export function descendsFrom(spans: readonly SpanRecord[], span: SpanRecord, ancestor: SpanRecord): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  let cur: SpanRecord | undefined = span;
  for (let i = 0; cur !== undefined && i < 64; i++) {
    if (cur.spanId === ancestor.spanId) return true;
    cur = byId.get(cur.parentSpanId);
  }
  return false;
}

export function metricNames(st: ReceiverState, service: string): Set<string> {
  return new Set(st.metrics.filter((m) => m.resource['service.name'] === service).map((m) => m.name));
}

/** The HTTP server duration histogram (old or stable semantic-convention name) of `service`. */
export function httpServerDuration(st: ReceiverState, service: string): MetricRecord[] {
  return st.metrics.filter((m) => m.resource['service.name'] === service && (m.name === 'http.server.request.duration' || m.name === 'http.server.duration'));
}
