/**
 * The flush at the `exit` event: whatever ended the process (`process.exit()` anywhere, an uncaught
 * exception or unhandled rejection, the event loop running dry), the `exit` listeners run
 * synchronously and the process is gone right after. So this flush is synchronous: it takes what the
 * SDK still holds (queued spans and log records, a metric collection made now, exports in flight
 * whose body never left the process), serialises it as the exporters would (OTLP protobuf or JSON),
 * and sends it from a worker thread while this thread waits, within the shutdown bound (see
 * installEndings in start.ts for how it is shared with the SIGTERM/SIGINT and end-of-loop flushes).
 */
import { diag } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtlpProtocol } from './config.js';
import { trackExporter, undelivered, type Outbound } from './exporttrack.js';
import { collectMetricsSync } from './metricsync.js';
import { sendSync, type ExitRequest } from './exitsend.js';

/** One signal as the exit flush sees it. */
export interface ExitSignal {
  readonly name: string;
  /**
   * Metrics are cumulative and always have something to collect: after a completed flush they are sent
   * again only together with other signals (something was recorded since), so that an exit right after
   * a flush costs nothing.
   */
  readonly onlyWithOthers?: boolean;
  /** Where its OTLP exporter sends (undefined: not OTLP/HTTP, e.g. console: `pending` exports directly). */
  readonly out: Outbound | undefined;
  /** Takes what the SDK still holds, serialised; undefined when there is nothing. */
  pending(): { body: Uint8Array; items: number } | undefined;
}

/** One bound per process ending: the first flush starts it, later ones get what is left. */
export class ShutdownBound {
  private deadline: number | undefined;
  constructor(private readonly ms: number, private readonly now: () => number = Date.now) {}
  /** Starts the bound if not yet started; returns the milliseconds left. */
  begin(): number {
    this.deadline ??= this.now() + this.ms;
    return this.remaining();
  }
  remaining(): number {
    return this.deadline === undefined ? this.ms : Math.max(0, this.deadline - this.now());
  }
}

/** Takes a batch processor's queue (`_finishedSpans`/`_finishedLogRecords` of the bundled SDK). */
function takeQueue<T>(processor: object, field: string): T[] {
  const holder = processor as Record<string, unknown>;
  const queue = holder[field];
  if (!Array.isArray(queue) || queue.length === 0) return [];
  holder[field] = [];
  return queue as T[];
}

const noop = (): void => undefined;

interface ResourceState {
  asyncAttributesPending?: boolean;
  _asyncAttributesPending?: boolean;
  _rawAttributes?: [string, unknown][];
}

/**
 * A resource whose asynchronous detectors have not settled yet (a process ending within milliseconds of
 * its start) cannot be waited for at exit: its settled attributes are sent, the pending ones left out
 * (instead of the SDK's error line about reading it unsettled).
 */
function settleNow(resource: unknown): void {
  const r = resource as ResourceState | undefined;
  if (r?.asyncAttributesPending !== true || !Array.isArray(r._rawAttributes)) return;
  r._rawAttributes = r._rawAttributes.filter(([, v]) => typeof (v as { then?: unknown } | null)?.then !== 'function');
  r._asyncAttributesPending = false;
}

export function spanSignal(processor: SpanProcessor, exporter: SpanExporter, protocol: OtlpProtocol): ExitSignal {
  const out = trackExporter(exporter);
  const serializer = protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  return {
    name: 'spans',
    out,
    pending() {
      const spans = takeQueue<ReadableSpan>(processor, '_finishedSpans');
      if (spans.length === 0) return undefined;
      settleNow(spans[0]?.resource);
      if (out === undefined) return void exporter.export(spans, noop);
      const body = serializer.serializeRequest(spans);
      return body === undefined ? undefined : { body, items: spans.length };
    },
  };
}

export function logSignal(processor: LogRecordProcessor, exporter: LogRecordExporter, protocol: OtlpProtocol): ExitSignal {
  const out = trackExporter(exporter);
  const serializer = protocol === 'http/json' ? JsonLogsSerializer : ProtobufLogsSerializer;
  return {
    name: 'logs',
    out,
    pending() {
      const records = takeQueue<ReadableLogRecord>(processor, '_finishedLogRecords');
      if (records.length === 0) return undefined;
      settleNow(records[0]?.resource);
      if (out === undefined) return void exporter.export(records, noop);
      const body = serializer.serializeRequest(records);
      return body === undefined ? undefined : { body, items: records.length };
    },
  };
}

export function metricSignal(reader: MetricReader, exporter: PushMetricExporter, protocol: OtlpProtocol): ExitSignal {
  const out = trackExporter(exporter);
  const serializer = protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  return {
    name: 'metrics',
    onlyWithOthers: true,
    out,
    pending() {
      const collected = collectMetricsSync(reader);
      if (collected === undefined) return undefined;
      settleNow(collected.resource);
      if (out === undefined) return void exporter.export(collected, noop);
      const body = serializer.serializeRequest(collected);
      const items = collected.scopeMetrics.reduce((n, s) => n + s.metrics.length, 0);
      return body === undefined ? undefined : { body, items };
    },
  };
}

function requestsOf(signal: ExitSignal, counts: string[]): ExitRequest[] {
  const bodies: Uint8Array[] = signal.out === undefined ? [] : undelivered(signal.out);
  const inflight = bodies.length;
  const now = signal.pending();
  if (now !== undefined) bodies.push(now.body);
  if (bodies.length > 0) counts.push(`${signal.name}: ${now?.items ?? 0} pending + ${inflight} export(s) in flight`);
  const out = signal.out;
  if (out === undefined) return [];
  return bodies.map((body) => ({ url: out.url, headers: out.headers, body, gzip: out.gzip, tls: out.tls }));
}

/**
 * The synchronous flush; never throws, returns within the bound's remaining time. `afterFlush`: an
 * asynchronous flush completed before (only what was recorded since is left).
 */
export function flushAtExit(signals: readonly ExitSignal[], bound: ShutdownBound, afterFlush = false): void {
  const ms = bound.begin();
  if (ms <= 0) return;
  const requests: ExitRequest[] = [];
  const counts: string[] = [];
  for (const signal of signals) {
    if (signal.onlyWithOthers === true && afterFlush && requests.length === 0) continue;
    try {
      requests.push(...requestsOf(signal, counts));
    } catch {
      // a signal that cannot be read at exit costs that signal only
    }
  }
  if (requests.length === 0) return;
  const r = sendSync(requests, bound.remaining());
  diag.debug(`otel-injector: exit flush: ${counts.join('; ')}: ${r.delivered}/${requests.length} request(s) accepted in ${r.ms} ms` +
    (r.settled ? '' : ` (shutdown bound of ${ms} ms reached)`));
}
