import type { Runtime, RuntimeContext } from '../types.js';

/** The file NODE_OPTIONS `--require`s, in the Node payload's folder (built by ./build.mjs from ./payload). */
export const ENTRY_FILE = 'register.cjs';

// The OpenTelemetry Operator's Node.js injection: --require /otel-auto-instrumentation-nodejs/autoinstrumentation.js
const OTHER_INJECTOR = /--require\s+\S*otel-auto-instrumentation/;

/** `--require <mount>/node/register.cjs`: what NODE_OPTIONS gets. */
export function requireFlag(context: RuntimeContext): string {
  return `--require ${context.mountPath}/node/${ENTRY_FILE}`;
}

/** The files a NODE_OPTIONS value `--require`s (`--require f`, `-r f`, `--require=f`). */
function requiredFiles(value: string): string[] {
  const tokens = value.trim().split(/\s+/);
  return tokens.flatMap((token, i) => {
    if (token.startsWith('--require=')) return [token.slice('--require='.length)];
    const next = tokens[i + 1];
    return (token === '--require' || token === '-r') && next !== undefined ? [next] : [];
  });
}

/**
 * True when the value loads our payload: from its folder, or from the mount's root where releases before the
 * one-folder-per-runtime layout put it (a pod injected then still counts as injected).
 */
function loaded(value: string, context: RuntimeContext): boolean {
  const files = requiredFiles(value);
  return files.includes(`${context.mountPath}/node/${ENTRY_FILE}`) || files.includes(`${context.mountPath}/${ENTRY_FILE}`);
}

/** Node.js: NODE_OPTIONS `--require`s the payload. */
export const node: Runtime = Object.freeze({
  name: 'node',
  variable: 'NODE_OPTIONS',
  extension: Object.freeze({ separator: ' ', placement: 'append', blankIsEmpty: true }),
  entry: requireFlag,
  loaded,
  foreign: (value: string): string | undefined => (OTHER_INJECTOR.test(value) ? 'instrumented by another injector' : undefined),
});
