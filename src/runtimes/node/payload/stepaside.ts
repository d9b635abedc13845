/**
 * If the application loads an OpenTelemetry SDK of its own, the preload steps aside: our
 * instrumentations are disabled, our providers flushed and shut down, and the global API slots
 * freed so the application's SDK registers as if we had never been there (no double spans).
 */
import { Hook as RequireHook } from 'require-in-the-middle';
import { Hook as ImportHook } from 'import-in-the-middle';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { Instrumentation } from '@opentelemetry/instrumentation';

export const SDK_MODULES = ['@opentelemetry/sdk-node', '@opentelemetry/sdk-trace-node', '@opentelemetry/sdk-trace-base'];

export interface StepAside {
  readonly instrumentations: readonly Instrumentation[];
  readonly shutdown: () => Promise<unknown>;
  readonly warn: (line: string) => void;
}

export function releaseGlobals(): void {
  trace.disable();
  metrics.disable();
  logs.disable();
  propagation.disable();
  context.disable();
  // The registry object itself remembers the version that created it (ours, the newest 1.x); an
  // older API copy in the app refuses to register into it, so remove it altogether.
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')];
}

export function watchForOwnSdk(opts: StepAside, esm: boolean): void {
  let done = false;
  const stepAside = (name: string): void => {
    if (done) return;
    done = true;
    for (const inst of opts.instrumentations) inst.disable();
    opts.shutdown().then(
      () => undefined,
      () => undefined,
    );
    releaseGlobals();
    opts.warn(`the application loads its own OpenTelemetry SDK (${name}); the preload steps aside`);
  };
  new RequireHook(SDK_MODULES, <T>(exports: T, name: string): T => {
    stepAside(name);
    return exports;
  });
  if (esm) {
    new ImportHook(SDK_MODULES, (exports: unknown, name: string) => {
      stepAside(name);
      return exports;
    });
  }
}
