/** OTLP/HTTP (protobuf or JSON) and console exporters, per signal. They read their endpoint,
 * headers, timeout and compression from the standard OTEL_EXPORTER_OTLP_* variables themselves. */
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { OtlpProtocol, SignalExporter, TlsFiles } from './config.js';
import { agentFactory, headersFromFile } from './tlsagent.js';

/** How a signal's exporter reaches the collector beyond upstream's own variables. */
export interface Reach {
  readonly tls: TlsFiles | undefined;
  readonly headersFile: string | undefined;
}

function req<T>(mod: unknown): T {
  return mod as T;
}

/**
 * Constructor options: with TLS files, an agent that follows them; with a headers file, headers that follow it
 * (tlsagent.ts); otherwise upstream's defaults.
 */
function options(reach: Reach | undefined): { httpAgentOptions?: ReturnType<typeof agentFactory>; headers?: ReturnType<typeof headersFromFile> } {
  return {
    ...(reach?.tls === undefined ? {} : { httpAgentOptions: agentFactory(reach.tls) }),
    ...(reach?.headersFile === undefined ? {} : { headers: headersFromFile(reach.headersFile) }),
  };
}

export function spanExporter(kind: SignalExporter, protocol: OtlpProtocol, reach?: Reach): SpanExporter | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'console') {
    return new (req<typeof import('@opentelemetry/sdk-trace-base')>(require('@opentelemetry/sdk-trace-base'))).ConsoleSpanExporter();
  }
  if (protocol === 'http/json') {
    return new (req<typeof import('@opentelemetry/exporter-trace-otlp-http')>(require('@opentelemetry/exporter-trace-otlp-http'))).OTLPTraceExporter(options(reach));
  }
  return new (req<typeof import('@opentelemetry/exporter-trace-otlp-proto')>(require('@opentelemetry/exporter-trace-otlp-proto'))).OTLPTraceExporter(options(reach));
}

export function metricExporter(kind: SignalExporter, protocol: OtlpProtocol, reach?: Reach): PushMetricExporter | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'console') {
    return new (req<typeof import('@opentelemetry/sdk-metrics')>(require('@opentelemetry/sdk-metrics'))).ConsoleMetricExporter();
  }
  if (protocol === 'http/json') {
    return new (req<typeof import('@opentelemetry/exporter-metrics-otlp-http')>(require('@opentelemetry/exporter-metrics-otlp-http'))).OTLPMetricExporter(options(reach));
  }
  return new (req<typeof import('@opentelemetry/exporter-metrics-otlp-proto')>(require('@opentelemetry/exporter-metrics-otlp-proto'))).OTLPMetricExporter(options(reach));
}

export function logExporter(kind: SignalExporter, protocol: OtlpProtocol, reach?: Reach): LogRecordExporter | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'console') {
    return new (req<typeof import('@opentelemetry/sdk-logs')>(require('@opentelemetry/sdk-logs'))).ConsoleLogRecordExporter();
  }
  if (protocol === 'http/json') {
    return new (req<typeof import('@opentelemetry/exporter-logs-otlp-http')>(require('@opentelemetry/exporter-logs-otlp-http'))).OTLPLogExporter(options(reach));
  }
  return new (req<typeof import('@opentelemetry/exporter-logs-otlp-proto')>(require('@opentelemetry/exporter-logs-otlp-proto'))).OTLPLogExporter(options(reach));
}
