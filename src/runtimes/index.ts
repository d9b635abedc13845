import { java } from './java/runtime.js';
import { node } from './node/runtime.js';
import { python } from './python/runtime.js';
import type { Runtime } from './types.js';

export type { Extension, Runtime } from './types.js';

/**
 * The registry: every runtime the webhook can switch on, in the order they are applied and reported.
 * Adding a runtime = one module next to these (its variable and rules) + its payload folder in the volume.
 */
export const RUNTIMES: readonly Runtime[] = Object.freeze([node, python, java]);

export const RUNTIME_NAMES: readonly string[] = Object.freeze(RUNTIMES.map((runtime) => runtime.name));

/**
 * The runtimes on when INJECT_RUNTIMES is not set. java is opt-in (INJECT_RUNTIMES / chart inject.runtimes)
 * while it is new: on by default it would put JAVA_TOOL_OPTIONS and a 25 MB agent into every selected pod.
 */
export const DEFAULT_RUNTIME_NAMES: readonly string[] = Object.freeze(RUNTIME_NAMES.filter((name) => name !== java.name));

/** The variables the runtimes extend (NODE_OPTIONS, PYTHONPATH, JAVA_TOOL_OPTIONS): the injection itself, never forced to a value. */
export const RUNTIME_VARIABLES: readonly string[] = Object.freeze(RUNTIMES.map((runtime) => runtime.variable));

/** The runtimes with these names, in registry order (unknown names are ignored). */
export function runtimesNamed(names: Iterable<string>): Runtime[] {
  const wanted = new Set(names);
  return RUNTIMES.filter((runtime) => wanted.has(runtime.name));
}

/** The names in a comma list (`"node, python"`), trimmed, empty items dropped. */
export function splitNames(text: string): string[] {
  return text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}
