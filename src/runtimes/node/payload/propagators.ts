/** OTEL_PROPAGATORS: tracecontext, baggage, b3, b3multi, jaeger, none. */
import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

import { loadPackage } from './catalogue.js';

function req<T>(mod: unknown): T {
  return mod as T;
}

function one(name: string): TextMapPropagator | undefined {
  switch (name) {
    case 'tracecontext':
      return new W3CTraceContextPropagator();
    case 'baggage':
      return new W3CBaggagePropagator();
    case 'b3': {
      const m = req<typeof import('@opentelemetry/propagator-b3')>(loadPackage('propagator-b3'));
      return new m.B3Propagator({ injectEncoding: m.B3InjectEncoding.SINGLE_HEADER });
    }
    case 'b3multi': {
      const m = req<typeof import('@opentelemetry/propagator-b3')>(loadPackage('propagator-b3'));
      return new m.B3Propagator({ injectEncoding: m.B3InjectEncoding.MULTI_HEADER });
    }
    default:
      return undefined;
  }
}

/** Builds the composite propagator; unknown names are ignored. */
export function buildPropagator(names: readonly string[]): TextMapPropagator {
  const list = names.includes('none') ? [] : names.map(one).filter((p): p is TextMapPropagator => p !== undefined);
  return new CompositePropagator({ propagators: list });
}
