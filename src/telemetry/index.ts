import type { Meter, Tracer } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { TelemetryConfig } from '../config/index.js';
import { guardMetricExporter, guardSpanExporter, RateLimitedLog, signalUrl } from './export.js';
import { registerProcessMetrics } from './process-metrics.js';
import { PullMetricReader, serializePrometheus } from './prometheus.js';
import { createAdmissionInstruments, NOOP_OBSERVATION, Observation, startReviewSpan } from './review.js';
import type { ReviewObservation, Telemetry } from './types.js';

export { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
export type { Decision, ReviewObservation, ReviewOutcome, Telemetry } from './types.js';
export { noopTelemetry } from './types.js';

export interface TelemetryDeps {
  readonly logger: Logger;
  readonly version: string;
  /** Expiry of the certificate being served now, or undefined when none is loaded yet. */
  readonly certExpiry: () => Date | undefined;
  readonly clock?: Clock;
  /** Extra resource attributes describing the webhook's own pod, e.g. `k8s.pod.name`, `k8s.namespace.name`. */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** Upper bound of shutdown(), default 5000 ms. */
  readonly shutdownTimeoutMs?: number;
  /** Window of the event-loop delay/utilization measurements, default 10000 ms. */
  readonly processWindowMs?: number;
  /** More instruments on the same meter (the controller's gauge); exceptions go to the rate-limited log. */
  readonly registerInstruments?: (meter: Meter, onError: (err: unknown) => void) => void;
}

const SCOPE = 'otel-injector';
const MAX_EXPORT_TIMEOUT_MS = 10_000;

function buildResource(deps: TelemetryDeps): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      ...deps.resourceAttributes,
      [ATTR_SERVICE_NAME]: 'otel-injector',
      [ATTR_SERVICE_VERSION]: deps.version,
    }),
  );
}

function otlpReaders(config: TelemetryConfig, log: RateLimitedLog): MetricReader[] {
  if (config.otlpEndpoint === undefined) return [];
  const timeoutMillis = Math.min(MAX_EXPORT_TIMEOUT_MS, config.exportIntervalMs);
  const exporter = new OTLPMetricExporter({ url: signalUrl(config.otlpEndpoint, 'metrics'), timeoutMillis });
  return [
    new PeriodicExportingMetricReader({
      exporter: guardMetricExporter(exporter, log),
      exportIntervalMillis: config.exportIntervalMs,
      exportTimeoutMillis: timeoutMillis,
    }),
  ];
}

function tracerProvider(config: TelemetryConfig, resource: Resource, log: RateLimitedLog): BasicTracerProvider | undefined {
  if (config.otlpEndpoint === undefined) return undefined;
  const timeoutMillis = Math.min(MAX_EXPORT_TIMEOUT_MS, config.exportIntervalMs);
  const exporter = new OTLPTraceExporter({ url: signalUrl(config.otlpEndpoint, 'traces'), timeoutMillis });
  const processor = new BatchSpanProcessor(guardSpanExporter(exporter, log), {
    exportTimeoutMillis: timeoutMillis,
    scheduledDelayMillis: Math.min(5000, config.exportIntervalMs),
  });
  return new BasicTracerProvider({ resource, spanProcessors: [processor] });
}

function registerCertExpiry(meter: Meter, deps: TelemetryDeps, clock: Clock, onError: (err: unknown) => void): void {
  const gauge = meter.createObservableGauge('otel_injector.certificate.expiry', {
    unit: 's',
    description: 'Seconds until the served TLS certificate expires (negative once expired)',
  });
  gauge.addCallback((result) => {
    try {
      const expiry = deps.certExpiry();
      if (expiry !== undefined) result.observe((expiry.getTime() - clock.now().getTime()) / 1000);
    } catch (err) {
      onError(err);
    }
  });
}

async function boundedShutdown(work: Promise<unknown>, timeoutMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([work.then(() => 'done' as const), timeout]);
  clearTimeout(timer);
  if (result === 'timeout') logger.warn({ timeoutMs }, 'self-telemetry flush did not finish in time; dropped');
}

/**
 * The webhook's own telemetry: one MeterProvider whose instruments feed both the Prometheus text of
 * GET /metrics and, when `otlpEndpoint` is set, OTLP/HTTP export of metrics and one span per review.
 */
export function createTelemetry(config: TelemetryConfig, deps: TelemetryDeps): Telemetry {
  const clock = deps.clock ?? systemClock;
  const log = new RateLimitedLog(deps.logger, clock);
  const onError = (err: unknown): void => log.warn(err, 'self-telemetry hook failed');
  const resource = buildResource(deps);
  const pull = new PullMetricReader();
  const meterProvider = new MeterProvider({ resource, readers: [pull, ...otlpReaders(config, log)] });
  const meter = meterProvider.getMeter(SCOPE, deps.version);
  const instruments = createAdmissionInstruments(meter);
  registerCertExpiry(meter, deps, clock, onError);
  const stopProcessMetrics = registerProcessMetrics(meter, deps.processWindowMs ?? 10_000, onError);
  deps.registerInstruments?.(meter, onError);
  const traces = tracerProvider(config, resource, log);
  const tracer: Tracer | undefined = traces?.getTracer(SCOPE, deps.version);
  let shuttingDown: Promise<void> | undefined;

  return {
    beginReview(traceparent?: string): ReviewObservation {
      try {
        const span = tracer === undefined ? undefined : startReviewSpan(tracer, traceparent);
        return new Observation(instruments, clock, span, onError);
      } catch (err) {
        onError(err);
        return NOOP_OBSERVATION;
      }
    },
    async prometheusText(): Promise<string> {
      const { resourceMetrics } = await pull.collect();
      return serializePrometheus(resourceMetrics);
    },
    shutdown(): Promise<void> {
      shuttingDown ??= boundedShutdown(
        Promise.allSettled([meterProvider.shutdown(), traces?.shutdown()]),
        deps.shutdownTimeoutMs ?? 5000,
        deps.logger,
      ).finally(stopProcessMetrics);
      return shuttingDown;
    },
  };
}
