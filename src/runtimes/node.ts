import type { InjectConfig } from '../config/index.js';
import type { Runtime } from './types.js';

// The OpenTelemetry Operator's Node.js injection: --require /otel-auto-instrumentation-nodejs/autoinstrumentation.js
const OTHER_INJECTOR = /--require\s+\S*otel-auto-instrumentation/;

/** `--require <mount>/<INJECT_PRELOAD_FILE>`: what NODE_OPTIONS gets. */
export function requireFlag(config: InjectConfig): string {
  return `--require ${config.mountPath}/${config.preloadFile}`;
}

/** Node.js: NODE_OPTIONS `--require`s the preload (payload: src/preload/, built to dist/preload/). */
export const node: Runtime = Object.freeze({
  name: 'node',
  variable: 'NODE_OPTIONS',
  extension: Object.freeze({ separator: ' ', placement: 'append', blankIsEmpty: true }),
  entry: requireFlag,
  loaded: (value: string, config: InjectConfig): boolean => value.includes(requireFlag(config)),
  foreign: (value: string): string | undefined => (OTHER_INJECTOR.test(value) ? 'instrumented by another injector' : undefined),
});
