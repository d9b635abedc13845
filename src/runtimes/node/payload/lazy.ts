/**
 * Instrumentations whose targets are packages (pg, express, …) are loaded on the first `require` or
 * `import` of one of those packages instead of at startup: a service that never requires `mongodb`
 * never reads, compiles or runs the mongodb instrumentation.
 * - `require`: `Module._load` is wrapped. It runs *inside* the require that require-in-the-middle
 *   intercepts, before the module is evaluated: the instrumentation constructed there registers its
 *   hooks in time to patch the very module being loaded.
 * - `import`, where the in-thread `module.registerHooks` is used: a resolve hook sees the specifier
 *   before import-in-the-middle's wrapper module is evaluated, so the instrumentation's ESM hook is
 *   registered in time too. (With the off-thread `module.register` loader, resolution happens in
 *   another thread: there every instrumentation loads at start.)
 * The package names per instrumentation come from `modules.json`, written at build time.
 */
import { isBuiltin } from 'node:module';
import * as nodeModule from 'node:module';

export type ModuleMap = Readonly<Record<string, readonly string[]>>;

export function packageName(request: string): string | undefined {
  if (request.startsWith('.') || request.startsWith('/') || request.startsWith('node:') || request.includes('\\')) return undefined;
  if (request.includes(':')) return undefined; // file:, data:, … URLs
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Instrumentations without package targets (builtins, diagnostics channels, runtime) load at startup. */
export function splitEagerLazy(names: readonly string[], map: ModuleMap): { eager: string[]; lazy: string[] } {
  const eager: string[] = [];
  const lazy: string[] = [];
  for (const name of names) {
    const mods = map[name];
    if (mods === undefined || mods.length === 0 || mods.some((m) => isBuiltin(m))) eager.push(name);
    else lazy.push(name);
  }
  return { eager, lazy };
}

/** Package name → instrumentations waiting for it. */
export function byPackage(lazy: readonly string[], map: ModuleMap): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of lazy) {
    for (const mod of map[name] ?? []) {
      const pkg = packageName(mod);
      if (pkg !== undefined) out.set(pkg, [...(out.get(pkg) ?? []), name]);
    }
  }
  return out;
}

export type Via = 'require' | 'import';
export type Activate = (name: string, pkg: string, via: Via) => void;

/** Pending instrumentations, each activated once, by whichever path sees its package first. */
export interface Pending {
  readonly size: () => number;
  readonly seen: (request: unknown, via: Via) => void;
}

export function pendingActivations(pending: Map<string, string[]>, activate: Activate): Pending {
  const done = new Set<string>();
  return {
    size: () => pending.size,
    seen(request, via): void {
      if (pending.size === 0 || typeof request !== 'string') return;
      const pkg = packageName(request);
      const names = pkg === undefined ? undefined : pending.get(pkg);
      if (pkg === undefined || names === undefined) return;
      pending.delete(pkg);
      for (const n of names) {
        if (done.has(n)) continue;
        done.add(n);
        activate(n, pkg, via);
      }
    },
  };
}

type Load = (this: unknown, request: unknown, ...rest: unknown[]) => unknown;

export function activateOnRequire(pending: Pending): void {
  if (pending.size() === 0) return;
  const M = (nodeModule as unknown as { default?: { _load?: Load } }).default ?? (nodeModule as unknown as { _load?: Load });
  const original = M._load;
  if (typeof original !== 'function') return;
  M._load = function load(this: unknown, request: unknown, ...rest: unknown[]): unknown {
    pending.seen(request, 'require');
    return original.apply(this, [request, ...rest]);
  };
}

type NextResolve = (specifier: string, context?: unknown) => unknown;
interface HookHandle {
  deregister?: () => void;
}
type RegisterHooks = (hooks: { resolve: (specifier: string, context: unknown, next: NextResolve) => unknown }) => HookHandle | undefined;

/**
 * With the in-thread hooks: activates on `import` (and `require`) resolution; the hook removes
 * itself once nothing is pending. Returns false where `module.registerHooks` does not exist.
 */
export function activateOnResolve(pending: Pending): boolean {
  const register = (nodeModule as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  if (typeof register !== 'function') return false;
  if (pending.size() === 0) return true;
  let handle: HookHandle | undefined;
  handle = register({
    resolve(specifier, context, next): unknown {
      pending.seen(specifier, 'import');
      if (pending.size() === 0 && handle !== undefined) {
        const h = handle;
        handle = undefined;
        queueMicrotask(() => h.deregister?.());
      }
      return next(specifier, context);
    },
  });
  return true;
}
