/**
 * A metric collection that completes synchronously, for the `exit` listener. The SDK's
 * `MetricReader.collect()` is asynchronous only in its plumbing: observable callbacks are awaited and
 * their results recorded in a later microtask, which never runs once `process.exit()` is under way.
 * Here the same steps run in one go on the SDK's own objects (sdk-metrics, bundled at a fixed
 * version): call each observable callback with the SDK's result object and record it into the
 * instrument's storages, then let every storage of this reader build its metric data. An asynchronous
 * callback (one returning a promise) cannot be waited for: what it observed before its first `await`
 * is recorded (host-metrics observes CPU and memory that way, network I/O after an await), the rest
 * keeps the values of the last periodic collection. Anything unexpected yields undefined (nothing is
 * sent), never a throw.
 */
import { millisToHrTime } from '@opentelemetry/core';
import type { MetricReader, ResourceMetrics, MetricData } from '@opentelemetry/sdk-metrics';
import { BatchObservableResultImpl, ObservableResultImpl } from '@opentelemetry/sdk-metrics/build/src/ObservableResult.js';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';

type HrTime = [number, number];

interface Storage {
  record?(buffer: unknown, time: HrTime): void;
  collect(collector: unknown, time: HrTime): MetricData | undefined | null;
}

interface Instrument {
  readonly _descriptor: { readonly name: string; readonly valueType: number };
  readonly _metricStorages: readonly Storage[];
}

interface Registry {
  readonly _callbacks: readonly { callback: (r: unknown) => unknown; instrument: Instrument }[];
  readonly _batchCallbacks: readonly { callback: (r: unknown) => unknown; instruments: Set<Instrument> }[];
}

interface MeterState {
  readonly observableRegistry: Registry;
  readonly metricStorageRegistry: { getStorages(collector: unknown): Storage[] };
  readonly _instrumentationScope: InstrumentationScope;
}

interface Collector {
  readonly _sharedState?: { readonly meterSharedStates?: Map<string, MeterState>; readonly resource: Resource };
}

/** A promise a callback returned is not waited for (and its rejection, should one come, goes nowhere). */
function release(result: unknown): void {
  if (result !== null && typeof (result as { then?: unknown } | undefined)?.then === 'function') {
    (result as Promise<unknown>).then(() => undefined, () => undefined);
  }
}

function observeOne(callback: (r: unknown) => unknown, instrument: Instrument, time: HrTime): void {
  const result = new ObservableResultImpl(instrument._descriptor.name, instrument._descriptor.valueType);
  release(callback(result));
  for (const s of instrument._metricStorages) s.record?.(result._buffer, time);
}

function observeBatch(callback: (r: unknown) => unknown, instruments: Set<Instrument>, time: HrTime): void {
  const result = new BatchObservableResultImpl();
  release(callback(result));
  for (const instrument of instruments) {
    const buffer = result._buffer.get(instrument as never);
    if (buffer !== undefined) for (const s of instrument._metricStorages) s.record?.(buffer, time);
  }
}

/** Runs the observable callbacks now; a failing callback costs its own instruments only, as in a periodic collection. */
function observe(registry: Registry, time: HrTime): void {
  for (const { callback, instrument } of registry._callbacks) {
    try {
      observeOne(callback, instrument, time);
    } catch {
      // (see above)
    }
  }
  for (const { callback, instruments } of registry._batchCallbacks) {
    try {
      observeBatch(callback, instruments, time);
    } catch {
      // (see above)
    }
  }
}

/** Collects `reader`'s metrics now; undefined when there is nothing or the SDK's shape is not the expected one. */
export function collectMetricsSync(reader: MetricReader): ResourceMetrics | undefined {
  try {
    const collector = (reader as unknown as { _sdkMetricProducer?: Collector })._sdkMetricProducer;
    const shared = collector?._sharedState;
    if (shared?.meterSharedStates === undefined) return undefined;
    const time = millisToHrTime(Date.now()) as HrTime;
    const scopeMetrics: ResourceMetrics['scopeMetrics'] = [];
    for (const meter of shared.meterSharedStates.values()) {
      observe(meter.observableRegistry, time);
      const metrics = meter.metricStorageRegistry.getStorages(collector).map((s) => s.collect(collector, time))
        .filter((m): m is MetricData => m !== undefined && m !== null && m.dataPoints.length > 0);
      if (metrics.length > 0) scopeMetrics.push({ scope: meter._instrumentationScope, metrics });
    }
    return scopeMetrics.length > 0 ? { resource: shared.resource, scopeMetrics } : undefined;
  } catch {
    return undefined;
  }
}
