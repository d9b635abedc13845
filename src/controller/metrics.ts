import type { Meter } from '@opentelemetry/api';
import { countByNamespaceAndReason } from './findings.js';
import type { Finding } from './types.js';

/** otel_injector.workloads.uninstrumented{k8s.namespace.name, reason}: workloads with uninstrumented pods. */
export function registerControllerMetrics(findings: () => readonly Finding[]): (meter: Meter, onError: (err: unknown) => void) => void {
  return (meter, onError) => {
    const gauge = meter.createObservableGauge('otel_injector.workloads.uninstrumented', {
      unit: '{workload}',
      description: 'Workloads (or bare pods) in opted-in namespaces with pods the webhook did not instrument, by reason (not-seen, outdated)',
    });
    gauge.addCallback((result) => {
      try {
        for (const c of countByNamespaceAndReason(findings()).values()) {
          result.observe(c.count, { 'k8s.namespace.name': c.namespace, reason: c.reason });
        }
      } catch (err) {
        onError(err);
      }
    });
  };
}
