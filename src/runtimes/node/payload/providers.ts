/** Tracer, meter and logger providers wired to the exporters; all export is batched and bounded. */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { logs } from '@opentelemetry/api-logs';
import { metrics, propagation } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { PreloadConfig } from './config.js';
import { logExporter, metricExporter, spanExporter } from './exporters.js';
import { buildPropagator } from './propagators.js';
import { logSignal, metricSignal, spanSignal, type ExitSignal } from './exitflush.js';

export interface Providers {
  readonly tracerProvider: NodeTracerProvider | undefined;
  readonly meterProvider: MeterProvider | undefined;
  readonly loggerProvider: LoggerProvider | undefined;
  /** What the synchronous flush at `exit` reads (exitflush.ts). */
  readonly exitSignals: readonly ExitSignal[];
}

function tracing(config: PreloadConfig, resource: Resource, exit: ExitSignal[]): NodeTracerProvider | undefined {
  const exporter = spanExporter(config.traces, config.protocol, { tls: config.tls.traces, headersFile: config.headersFile });
  if (exporter === undefined) return undefined;
  // BatchSpanProcessor reads OTEL_BSP_* (queue 2048 spans, batch 512, 5 s) and drops when full.
  const processor = new BatchSpanProcessor(exporter);
  exit.push(spanSignal(processor, exporter, config.protocol));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ propagator: buildPropagator(config.propagators) });
  return provider;
}

function metering(config: PreloadConfig, resource: Resource, exit: ExitSignal[]): MeterProvider | undefined {
  const exporter = metricExporter(config.metrics, config.protocol, { tls: config.tls.metrics, headersFile: config.headersFile });
  if (exporter === undefined) return undefined;
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.metricIntervalMs,
    exportTimeoutMillis: Math.min(30000, config.metricIntervalMs),
  });
  exit.push(metricSignal(reader, exporter, config.protocol));
  const provider = new MeterProvider({ resource, readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return provider;
}

function logging(config: PreloadConfig, resource: Resource, exit: ExitSignal[]): LoggerProvider | undefined {
  const exporter = logExporter(config.logs, config.protocol, { tls: config.tls.logs, headersFile: config.headersFile });
  if (exporter === undefined) return undefined;
  const processor = new BatchLogRecordProcessor({ exporter });
  exit.push(logSignal(processor, exporter, config.protocol));
  const provider = new LoggerProvider({ resource, processors: [processor] });
  logs.setGlobalLoggerProvider(provider);
  return provider;
}

export function startProviders(config: PreloadConfig, resource: Resource): Providers {
  const exitSignals: ExitSignal[] = [];
  const tracerProvider = tracing(config, resource, exitSignals);
  if (tracerProvider === undefined) {
    // Without a tracer provider, still propagate context so downstream services keep the trace.
    propagation.setGlobalPropagator(buildPropagator(config.propagators));
  }
  // (logs before metrics: the exit flush sends in this order, the crash record early)
  const loggerProvider = logging(config, resource, exitSignals);
  return { tracerProvider, meterProvider: metering(config, resource, exitSignals), loggerProvider, exitSignals };
}

/** Resolves true when the work settled, false when `ms` ran out first. */
function bounded(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    work.then(
      () => { clearTimeout(timer); resolve(true); },
      () => { clearTimeout(timer); resolve(true); },
    );
  });
}

/**
 * Flushes and shuts every provider down (the preload stepping aside); never rejects and never takes longer than `ms`.
 * Resolves false when it ran out of time (an exporter is still retrying an unreachable collector).
 */
export function shutdownProviders(p: Providers, ms: number): Promise<boolean> {
  const all = Promise.allSettled([
    p.tracerProvider?.shutdown(),
    p.meterProvider?.shutdown(),
    p.loggerProvider?.shutdown(),
  ]);
  return bounded(all, ms);
}

/**
 * Flushes every provider and keeps them running (SIGTERM/SIGINT, the end of the event loop): what the app
 * records afterwards (requests finishing during its own drain) is still kept, for the flush at exit.
 * Same bound and result as shutdownProviders.
 */
export function flushProviders(p: Providers, ms: number): Promise<boolean> {
  const all = Promise.allSettled([
    p.tracerProvider?.forceFlush(),
    p.meterProvider?.forceFlush(),
    p.loggerProvider?.forceFlush(),
  ]);
  return bounded(all, ms);
}
