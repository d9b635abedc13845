/**
 * Instrumentations whose targets are packages (pg, express, …) are loaded on the first `require` of
 * one of those packages instead of at startup: a service that never requires `mongodb` never reads,
 * compiles or runs the mongodb instrumentation. `Module._load` is wrapped because it runs *inside*
 * the require that require-in-the-middle intercepts, before the module is evaluated: the instrumentation
 * constructed there registers its hooks in time to patch the very module being loaded.
 * The package names per instrumentation come from `modules.json`, written at build time.
 */
import { isBuiltin } from 'node:module';
import * as nodeModule from 'node:module';

export type ModuleMap = Readonly<Record<string, readonly string[]>>;

export function packageName(request: string): string | undefined {
  if (request.startsWith('.') || request.startsWith('/') || request.startsWith('node:') || request.includes('\\')) return undefined;
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

type Load = (this: unknown, request: unknown, ...rest: unknown[]) => unknown;

export function activateOnRequire(pending: Map<string, string[]>, activate: (name: string) => void): void {
  if (pending.size === 0) return;
  const M = (nodeModule as unknown as { default?: { _load?: Load } }).default ?? (nodeModule as unknown as { _load?: Load });
  const original = M._load;
  if (typeof original !== 'function') return;
  const done = new Set<string>();
  M._load = function load(this: unknown, request: unknown, ...rest: unknown[]): unknown {
    const pkg = pending.size > 0 && typeof request === 'string' ? packageName(request) : undefined;
    const names = pkg === undefined ? undefined : pending.get(pkg);
    if (pkg !== undefined && names !== undefined) {
      pending.delete(pkg);
      for (const n of names) {
        if (!done.has(n)) {
          done.add(n);
          activate(n);
        }
      }
    }
    return original.apply(this, [request, ...rest]);
  };
}
