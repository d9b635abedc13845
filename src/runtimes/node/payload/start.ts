/** Starts the SDK from the OTEL_* environment; every failure ends in one stderr line, never a throw. */
import { diag } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HostMetrics } from '@opentelemetry/host-metrics';
import type { Env, PreloadConfig } from './config.js';
import { installDiag } from './diag.js';
import type { Warn } from './warn.js';
import { selectInstrumentations, loadInstrumentations } from './select.js';
import { ESM_MODE_DETAIL, hookedModules, registerEsmHooks, syncHooksAvailable, type EsmMode } from './esm.js';
import { buildResource, detectorNames } from './resource.js';
import { flushProviders, startProviders, shutdownProviders, type Providers } from './providers.js';
import { installSignalFlush, type SignalProcess } from './shutdown.js';
import { flushAtExit, ShutdownBound } from './exitflush.js';
import { installCrashRecording, type CrashProcess } from './crash.js';
import { startDiskMetrics } from './diskio.js';
import { entryIsEsm } from './entry.js';
import { activateOnRequire, activateOnResolve, byPackage, pendingActivations, splitEagerLazy, type ModuleMap } from './lazy.js';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { join } from 'node:path';
import { SDK_MODULES, watchForOwnSdk } from './stepaside.js';

export interface StartContext {
  readonly env: Env;
  readonly dir: string;
  readonly proc: SignalProcess & CrashProcess;
  readonly warn: Warn;
  readonly argv: readonly string[];
  /** process.execArgv: `-e`/`-p` there means argv[1], if any, is the eval script's first argument, not a file */
  readonly execArgv?: readonly string[];
}

function esmHooks(config: PreloadConfig, ctx: StartContext, include: string[]): EsmMode {
  if (config.esmHooks === 'off') return 'off';
  const warn = ctx.warn;
  try {
    const mode = registerEsmHooks(ctx.dir, include, config.esmHooks === 'on' || entryIsEsm(ctx.argv[1]), hasEntryFile(ctx));
    // (sync hooks, where available, are registered whatever the entry kind: they cost no thread)
    if (mode === 'unsupported') {
      warn(`Node.js ${process.versions.node} has no module.register: only CommonJS modules are instrumented`);
    }
    return mode;
  } catch (err) {
    warn(`ESM hooks not registered (${err instanceof Error ? err.message : String(err)}): only CommonJS modules are instrumented`);
    return 'unsupported';
  }
}

function startMetrics(config: PreloadConfig, providers: Providers): void {
  if (!config.hostMetrics || providers.meterProvider === undefined) return;
  new HostMetrics({ meterProvider: providers.meterProvider, name: 'otel-injector-host-metrics' }).start();
  startDiskMetrics(providers.meterProvider);
}

function notices(config: PreloadConfig, unknown: readonly string[], failures: readonly string[]): string[] {
  const lines = [...config.notices];
  if (unknown.length > 0) lines.push(`unknown names ignored: ${unknown.join(', ')}`);
  if (failures.length > 0) lines.push(`instrumentations not loaded: ${failures.join('; ')}`);
  return lines;
}

/** Starts everything; `config` has already been checked by the entry point (not disabled, no problems). */
function readModuleMap(dir: string): ModuleMap {
  try {
    return module.require(join(dir, 'modules.json')) as ModuleMap;
  } catch {
    return {};
  }
}

/**
 * `node -e`/`-p`, the REPL and stdin scripts have no entry file. There Node's eval context requires
 * builtins through getters that crash inside in-thread load hooks (Node 22.23, 24.21, 26.10:
 * `ENOENT: open 'module'`), so the in-thread hooks are not registered there.
 */
const EVAL_FLAG = /^(?:--eval|--print|-[a-z]*[ep][a-z]*)(?:=|$)/;

function hasEntryFile(ctx: StartContext): boolean {
  if ((ctx.execArgv ?? []).some((a) => EVAL_FLAG.test(a))) return false; // `node -e 'code' arg`: argv[1] is arg
  return ctx.argv[1] !== undefined && ctx.argv[1] !== '' && ctx.argv[1] !== '-';
}

/**
 * Which instrumentations load at start. Without ESM hooks, or with the in-thread ones, a package's
 * instrumentation waits for the first require/import of the package; with the off-thread loader
 * every one loads now (imports are resolved in the hooks thread, out of our sight).
 */
function splitFor(config: PreloadConfig, ctx: StartContext, names: readonly string[], map: ModuleMap): { eager: string[]; lazy: string[] } {
  const esmWanted = config.esmHooks === 'on' || (config.esmHooks === 'auto' && entryIsEsm(ctx.argv[1]));
  const syncHooks = config.esmHooks !== 'off' && hasEntryFile(ctx) && syncHooksAvailable();
  return esmWanted && !syncHooks ? { eager: [...names], lazy: [] } : splitEagerLazy(names, map);
}

interface Activation {
  readonly active: Instrumentation[];
  readonly providers: Providers;
  readonly warn: Warn;
}

function lazyActivation(lazy: readonly string[], map: ModuleMap, mode: EsmMode, on: Activation): void {
  const pending = pendingActivations(byPackage(lazy, map), (name, pkg, via) => {
    const late = loadInstrumentations([name]);
    on.active.push(...late.instrumentations);
    registerInstrumentations({ instrumentations: late.instrumentations, ...on.providers });
    if (late.failures.length > 0) on.warn(`instrumentation not loaded: ${late.failures.join('; ')}`);
    diag.debug(`otel-injector: instrumentation ${name} loaded on first ${via} of ${pkg}`);
  });
  activateOnRequire(pending);
  if (mode === 'sync') activateOnResolve(pending);
}

/**
 * However the process ends, what was recorded is flushed, each ending delayed by at most `ms`.
 * SIGTERM/SIGINT and the end of the event loop flush asynchronously and keep the providers running
 * (shutdown.ts); `exit` (process.exit() anywhere, a crash) flushes synchronously what is still held
 * (exitflush.ts): in what is left of the same bound while an asynchronous flush is under way (an app
 * exiting in its own SIGTERM handler), in a bound of its own after one completed (an app exiting at
 * the end of its drain: the requests it finished meanwhile). Returns a switch that turns the exit
 * flush and the crash recording off (the preload stepping aside for the app's own SDK).
 */
function installEndings(proc: SignalProcess & CrashProcess, providers: Providers, ms: number): () => void {
  let bound = new ShutdownBound(ms);
  let completed = false;
  let off = false;
  const crash = installCrashRecording(proc, providers.loggerProvider?.getLogger('otel-injector'));
  installSignalFlush(proc, async () => {
    crash.endOpenSpans();
    const done = await flushProviders(providers, bound.begin());
    if (done) {
      completed = true;
      bound = new ShutdownBound(ms);
    }
    return done;
  });
  proc.on('exit', () => {
    if (off) return;
    crash.endOpenSpans();
    flushAtExit(providers.exitSignals, bound, completed);
  });
  return () => {
    off = true;
    crash.disable();
  };
}

export function startPreload(ctx: StartContext, config: PreloadConfig): void {
  installDiag(config.logLevel, ctx.warn);
  const selection = selectInstrumentations(config.enabledInstrumentations, config.disabledInstrumentations);
  const map = readModuleMap(ctx.dir);
  const split = splitFor(config, ctx, selection.names, map);
  const loaded = loadInstrumentations(split.eager);
  const include = hookedModules(loaded.instrumentations, [...SDK_MODULES, ...split.lazy.flatMap((n) => map[n] ?? [])]);
  const mode = esmHooks(config, ctx, include);
  diag.debug(`otel-injector: ESM hooks: ${mode} (${ESM_MODE_DETAIL[mode]}), Node.js ${process.versions.node}; ` +
    `instrumentations at start: ${loaded.instrumentations.length}, on first use: ${split.lazy.length}`);
  const detectors = detectorNames(config.resourceDetectors);
  const resource = buildResource(detectors.names);
  // Settle the asynchronous detectors now, not at the first export: a flush at exit cannot wait for them.
  resource.waitForAsyncAttributes?.().then(() => undefined, () => undefined);
  const providers = startProviders(config, resource);
  const active = loaded.instrumentations;
  registerInstrumentations({ instrumentations: active, ...providers });
  lazyActivation(split.lazy, map, mode, { active, providers, warn: ctx.warn });
  startMetrics(config, providers);
  const exitFlushOff = installEndings(ctx.proc, providers, config.shutdownTimeoutMs);
  const stepAside = (): Promise<boolean> => {
    exitFlushOff();
    return shutdownProviders(providers, config.shutdownTimeoutMs);
  };
  watchForOwnSdk({ instrumentations: active, shutdown: stepAside, warn: ctx.warn }, mode === 'sync' || mode === 'async');
  const lines = notices(config, [...selection.unknown, ...detectors.unknown], loaded.failures);
  if (lines.length > 0) ctx.warn(lines.join('; '));
}
