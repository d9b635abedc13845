import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';

/** Joins an OTLP/HTTP base URL and a signal path: `http://c:4318/` + `v1/traces` → `http://c:4318/v1/traces`. */
export function signalUrl(base: string, signal: 'metrics' | 'traces'): string {
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/** Logs at most one warning per `intervalMs`, counting the ones it swallowed. */
export class RateLimitedLog {
  private lastAt: number | undefined;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
  ) {}

  warn(err: unknown, msg: string): void {
    try {
      const now = this.clock.monotonicMs();
      if (this.lastAt !== undefined && now - this.lastAt < this.intervalMs) {
        this.suppressed += 1;
        return;
      }
      this.lastAt = now;
      const suppressed = this.suppressed;
      this.suppressed = 0;
      this.logger.warn({ err, suppressed }, msg);
    } catch {
      // logging must never break the caller
    }
  }
}

function reportingCallback(
  log: RateLimitedLog,
  signal: string,
  done: (result: ExportResult) => void,
): (result: ExportResult) => void {
  return (result: ExportResult): void => {
    if (result.code !== ExportResultCode.SUCCESS) log.warn(result.error, `self-telemetry ${signal} export failed`);
    done(result);
  };
}

function failed(error: unknown): ExportResult {
  return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) };
}

/** Wraps an OTLP metric exporter so that a failure is logged (rate-limited) and never thrown. */
export function guardMetricExporter(inner: PushMetricExporter, log: RateLimitedLog): PushMetricExporter {
  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
      const callback = reportingCallback(log, 'metrics', done);
      try {
        inner.export(metrics, callback);
      } catch (err) {
        callback(failed(err));
      }
    },
    forceFlush: (): Promise<void> => inner.forceFlush(),
    shutdown: (): Promise<void> => inner.shutdown(),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
  };
}

/**
 * Wraps an OTLP span exporter so that a failure is logged (rate-limited) and never thrown. The batch
 * processor calls export() synchronously from the span.end() that fills a batch, i.e. from inside one
 * review; the export (serializing the whole batch) is deferred to the next turn so no review pays for it.
 */
export function guardSpanExporter(inner: SpanExporter, log: RateLimitedLog): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      const callback = reportingCallback(log, 'traces', done);
      setImmediate(() => {
        try {
          inner.export(spans, callback);
        } catch (err) {
          callback(failed(err));
        }
      });
    },
    forceFlush: (): Promise<void> => inner.forceFlush?.() ?? Promise.resolve(),
    shutdown: (): Promise<void> => inner.shutdown(),
  };
}
