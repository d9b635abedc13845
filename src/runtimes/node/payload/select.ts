/** Which instrumentations to load, with the upstream meaning of the OTEL_NODE_* lists. */
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { CATALOGUE, OFF_BY_DEFAULT } from './catalogue.js';

export interface Selection {
  readonly names: readonly string[];
  readonly unknown: readonly string[];
}

const PREFIX = '@opentelemetry/instrumentation-';

/** Accepts both the short name (`http`) and the package name (`@opentelemetry/instrumentation-http`). */
export function shortName(name: string): string {
  return name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
}

export function selectInstrumentations(
  enabled: readonly string[] | undefined,
  disabled: readonly string[],
): Selection {
  const wanted = enabled?.map(shortName);
  const off = new Set(disabled.map(shortName));
  const unknown = [...(wanted ?? []), ...off].filter((n) => !(n in CATALOGUE));
  const names = Object.keys(CATALOGUE).filter((n) => {
    if (off.has(n)) return false;
    return wanted === undefined ? !OFF_BY_DEFAULT.includes(n) : wanted.includes(n);
  });
  return { names, unknown };
}

/** Per-instrumentation settings that differ from the package defaults, chosen for cost. */
export function configFor(name: string): InstrumentationConfig {
  switch (name) {
    case 'express':
      // One span per request handler instead of one per middleware/router layer; the route
      // still reaches the HTTP server span.
      return { ignoreLayersType: ['middleware', 'router'] } as InstrumentationConfig;
    case 'http':
      return { disableOutgoingRequestInstrumentation: false } as InstrumentationConfig;
    default:
      return {};
  }
}

export interface Loaded {
  readonly instrumentations: Instrumentation[];
  readonly failures: string[];
}

/** Instantiates the selected instrumentations; a failing one is reported and skipped. */
export function loadInstrumentations(names: readonly string[]): Loaded {
  const instrumentations: Instrumentation[] = [];
  const failures: string[] = [];
  for (const name of names) {
    const factory = CATALOGUE[name];
    if (factory === undefined) continue;
    try {
      instrumentations.push(factory(configFor(name)));
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { instrumentations, failures };
}
