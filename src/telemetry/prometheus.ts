import type { Attributes } from '@opentelemetry/api';
import {
  DataPointType,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** Content type of the Prometheus text exposition format served at GET /metrics. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A metric reader that only collects when asked (on scrape); cumulative temporality (the default). */
export class PullMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {
    return undefined;
  }

  protected override async onShutdown(): Promise<void> {
    return undefined;
  }
}

/** OpenTelemetry name to Prometheus name: every character outside [a-zA-Z0-9_] becomes '_'. */
export function prometheusName(name: string): string {
  const sanitized = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(sanitized) ? `_${sanitized}` : sanitized;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return escapeHelp(text ?? '').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function sample(name: string, attributes: Attributes, value: number, extra?: Readonly<Record<string, string>>): string {
  const labels = Object.entries({ ...attributes, ...extra })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${prometheusName(k)}="${escapeLabelValue(v)}"`);
  const labelText = labels.length > 0 ? `{${labels.join(',')}}` : '';
  return `${name}${labelText} ${formatValue(value)}\n`;
}

function histogramSamples(name: string, point: DataPoint<Histogram>): string {
  const { boundaries, counts } = point.value.buckets;
  let text = '';
  let cumulative = 0;
  boundaries.forEach((bound, index) => {
    cumulative += counts[index] ?? 0;
    text += sample(`${name}_bucket`, point.attributes, cumulative, { le: formatValue(bound) });
  });
  text += sample(`${name}_bucket`, point.attributes, point.value.count, { le: '+Inf' });
  text += sample(`${name}_sum`, point.attributes, point.value.sum ?? 0);
  return text + sample(`${name}_count`, point.attributes, point.value.count);
}

function familyType(metric: MetricData): 'counter' | 'gauge' | 'histogram' | undefined {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? 'counter' : 'gauge';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    default:
      return undefined; // exponential histograms are not used by this webhook
  }
}

function serializeMetric(metric: MetricData): string {
  const type = familyType(metric);
  if (type === undefined) return '';
  const base = prometheusName(metric.descriptor.name);
  const name = type === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
  let text = `# HELP ${name} ${escapeHelp(metric.descriptor.description || metric.descriptor.name)}\n`;
  text += `# TYPE ${name} ${type}\n`;
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    for (const point of metric.dataPoints) text += histogramSamples(name, point);
  } else if (metric.dataPointType !== DataPointType.EXPONENTIAL_HISTOGRAM) {
    for (const point of metric.dataPoints) text += sample(name, point.attributes, point.value);
  }
  return text;
}

/**
 * Prometheus text format (0.0.4) of one collection: `target_info` from the resource, then every metric,
 * dots turned into underscores, `_total` on counters, `_bucket`/`_sum`/`_count` on histograms.
 */
export function serializePrometheus(resourceMetrics: ResourceMetrics): string {
  let text = '# HELP target_info Target metadata\n# TYPE target_info gauge\n';
  text += sample('target_info', resourceMetrics.resource.attributes, 1);
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) text += serializeMetric(metric);
  }
  return text;
}
