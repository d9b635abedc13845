import type { Runtime, RuntimeContext } from '../types.js';

/** Folder of the Python payload inside the mount (src/runtimes/python/payload/, built to dist/payload/python/). */
export const PYTHON_DIR = 'python';

// The OpenTelemetry Operator's Python injection puts /otel-auto-instrumentation-python/... on PYTHONPATH.
const OTHER_INJECTOR = /otel-auto-instrumentation/;

/** `<mount>/python`: the PYTHONPATH entry that holds our sitecustomize (and nothing else importable). */
export function pythonPathEntry(context: RuntimeContext): string {
  return `${context.mountPath}/${PYTHON_DIR}`;
}

/**
 * Python: PYTHONPATH gets our directory FIRST, so our sitecustomize is the one Python imports (it runs the
 * image's own sitecustomize afterwards). Only `sitecustomize` and `_otel_injector` are importable from it,
 * so putting it first shadows nothing of the app.
 */
export const python: Runtime = Object.freeze({
  name: 'python',
  variable: 'PYTHONPATH',
  extension: Object.freeze({ separator: ':', placement: 'prepend', blankIsEmpty: false }),
  entry: pythonPathEntry,
  loaded: (value: string, context: RuntimeContext): boolean => value.split(':').includes(pythonPathEntry(context)),
  foreign: (value: string): string | undefined => (OTHER_INJECTOR.test(value) ? 'instrumented by another injector' : undefined),
});
