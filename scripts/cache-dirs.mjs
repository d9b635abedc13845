// Download caches shared by every checkout on a machine (pip's and uv's: content-addressed, safe to share):
// a fresh clone (CI) reuses the wheels an earlier run fetched or built (uWSGI compiles from its sdist)
// instead of fetching them again. Build outputs (venvs, the payload, binaries) stay in the clone's .cache/.
// OTEL_INJECTOR_CACHE_DIR moves them (default ~/.cache/otel-injector).
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `<OTEL_INJECTOR_CACHE_DIR or ~/.cache/otel-injector>/<name>`. */
export function sharedCacheDir(name, env = process.env) {
  return join(env.OTEL_INJECTOR_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'otel-injector'), name);
}
