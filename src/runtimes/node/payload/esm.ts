/** ESM loader hooks (import-in-the-middle), registered from the CommonJS preload itself. */
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Instrumentation } from '@opentelemetry/instrumentation';

export type EsmMode = 'sync' | 'async' | 'unsupported' | 'off';

interface ModuleDefinitionLike {
  readonly name: string;
}
interface WithDefinitions {
  getModuleDefinitions?: () => ModuleDefinitionLike[];
}

/** The module specifiers the enabled instrumentations hook, plus `node:` forms of builtins. */
export function hookedModules(instrumentations: readonly Instrumentation[], extra: readonly string[]): string[] {
  const names = new Set<string>(extra);
  for (const inst of instrumentations) {
    const defs = (inst as unknown as WithDefinitions).getModuleDefinitions?.() ?? [];
    for (const def of defs) names.add(def.name);
  }
  for (const name of [...names]) {
    if (nodeModule.isBuiltin(name) && !name.startsWith('node:')) names.add(`node:${name}`);
  }
  return [...names];
}

/** Same rule as import-in-the-middle's supportsSyncHooks (module.registerHooks with nullish CJS source). */
const SYNC_HOOKS_SINCE: Readonly<Record<number, readonly [number, number]>> = { 22: [22, 3], 24: [11, 1], 25: [1, 0] };

export function supportsSyncHooks(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((p) => parseInt(p, 10));
  if (major >= 26) return true;
  const since = SYNC_HOOKS_SINCE[major];
  if (since === undefined) return false;
  return minor > since[0] || (minor === since[0] && patch >= since[1]);
}

interface SyncRegister {
  register: (options: { include: string[] }) => void;
}

/**
 * Registers the hooks so that `import` of a hooked module goes through import-in-the-middle.
 * `dir` is the preload folder; the hook files live in `dir/iitm` (never bundled into register.cjs:
 * the loader's generated wrappers import iitm's own lib/register.js, which must be the very
 * module instance the instrumentations register their hooks with).
 */
/** Can the in-thread `module.registerHooks` path be used on this Node? */
export function syncHooksAvailable(version: string = process.versions.node): boolean {
  const mod = nodeModule as typeof nodeModule & { registerHooks?: unknown };
  return typeof mod.registerHooks === 'function' && supportsSyncHooks(version);
}

/** How each mode hooks `import`, for the debug line that says which path was taken. */
export const ESM_MODE_DETAIL: Readonly<Record<EsmMode, string>> = {
  sync: 'in-thread module.registerHooks',
  async: 'off-thread module.register',
  unsupported: 'none: this Node.js has neither module.registerHooks nor module.register',
  off: 'not registered',
};

export function registerEsmHooks(dir: string, include: string[], allowThread: boolean, allowSync = true): EsmMode {
  if (allowSync && syncHooksAvailable()) {
    (require(join(dir, 'iitm', 'register-hooks.mjs')) as SyncRegister).register({ include });
    return 'sync';
  }
  if (!allowThread) return 'off';
  if (typeof nodeModule.register === 'function') {
    nodeModule.register(pathToFileURL(join(dir, 'iitm', 'hook.mjs')), {
      parentURL: pathToFileURL(join(dir, 'register.cjs')),
      data: { include },
    });
    return 'async';
  }
  return 'unsupported';
}
