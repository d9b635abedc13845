import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

interface LoopWindow {
  readonly utilization: number;
  readonly delayP50: number;
  readonly delayP99: number;
  readonly delayMax: number;
}

const NS_PER_S = 1e9;

/**
 * Event-loop utilization and delay are measured over fixed windows (an unref'd timer closes one every
 * `windowMs`), so the OTLP reader and the Prometheus scrape see the same values whatever their cadence.
 */
class LoopSampler {
  private readonly delay = monitorEventLoopDelay({ resolution: 20 });
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private window: LoopWindow | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(windowMs: number) {
    this.delay.enable();
    this.timer = setInterval(() => {
      this.window = this.measure();
      this.delay.reset();
    }, windowMs);
    this.timer.unref();
  }

  /** The last closed window, or the one in progress before the first closes. */
  current(): LoopWindow {
    return this.window ?? this.measure(false);
  }

  stop(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  private measure(advance = true): LoopWindow {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.lastElu);
    if (advance) this.lastElu = now;
    const sampled = this.delay.count > 0;
    return {
      utilization: delta.utilization,
      delayP50: sampled ? this.delay.percentile(50) / NS_PER_S : 0,
      delayP99: sampled ? this.delay.percentile(99) / NS_PER_S : 0,
      delayMax: sampled ? this.delay.max / NS_PER_S : 0,
    };
  }
}

/** Webhook process metrics with names from the OpenTelemetry process / Node.js / V8 semantic conventions. */
export function registerProcessMetrics(meter: Meter, windowMs: number, onError: (err: unknown) => void): () => void {
  const cpu = meter.createObservableCounter('process.cpu.time', { unit: 's', description: 'CPU time of the webhook process' });
  const rss = meter.createObservableUpDownCounter('process.memory.usage', {
    unit: 'By',
    description: 'Resident set size of the webhook process',
  });
  const heapUsed = meter.createObservableUpDownCounter('v8js.memory.heap.used', {
    unit: 'By',
    description: 'V8 heap memory used, by heap space',
  });
  const heapLimit = meter.createObservableUpDownCounter('v8js.memory.heap.limit', {
    unit: 'By',
    description: 'V8 heap memory reserved, by heap space',
  });
  const delay = {
    p50: meter.createObservableGauge('nodejs.eventloop.delay.p50', { unit: 's', description: 'Event loop delay, median' }),
    p99: meter.createObservableGauge('nodejs.eventloop.delay.p99', { unit: 's', description: 'Event loop delay, 99th percentile' }),
    max: meter.createObservableGauge('nodejs.eventloop.delay.max', { unit: 's', description: 'Event loop delay, maximum' }),
  };
  const elu = meter.createObservableGauge('nodejs.eventloop.utilization', {
    unit: '1',
    description: 'Fraction of time the event loop was busy',
  });
  const sampler = new LoopSampler(windowMs);
  const observables: Observable[] = [cpu, rss, heapUsed, heapLimit, delay.p50, delay.p99, delay.max, elu];

  const callback = (result: BatchObservableResult): void => {
    try {
      const usage = process.cpuUsage();
      result.observe(cpu, usage.user / 1e6, { 'cpu.mode': 'user' });
      result.observe(cpu, usage.system / 1e6, { 'cpu.mode': 'system' });
      result.observe(rss, process.memoryUsage.rss());
      for (const space of getHeapSpaceStatistics()) {
        const attributes = { 'v8js.heap.space.name': space.space_name };
        result.observe(heapUsed, space.space_used_size, attributes);
        result.observe(heapLimit, space.space_size, attributes);
      }
      const loop = sampler.current();
      result.observe(delay.p50, loop.delayP50);
      result.observe(delay.p99, loop.delayP99);
      result.observe(delay.max, loop.delayMax);
      result.observe(elu, loop.utilization);
    } catch (err) {
      onError(err);
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return (): void => {
    meter.removeBatchObservableCallback(callback, observables);
    sampler.stop();
  };
}
