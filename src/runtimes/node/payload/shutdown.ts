/**
 * Flush on SIGTERM/SIGINT within a bounded time, then let the signal do what it would have done
 * without us: if the app has its own handler, it decides; otherwise the default action (exit by
 * signal) is restored and the signal re-raised. `signal-exit` (used by execa, tap, write-file-atomic…)
 * only re-raises when it is the sole listener, so it would wait for us forever: listeners that all
 * belong to it count as "no handler of the app's own".
 */
/** Resolves false when the flush ran out of time with exports still pending. */
export type Flush = () => Promise<boolean>;

export interface SignalProcess {
  pid: number;
  on(event: string, listener: () => void): unknown;
  once(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  exit(code?: number): unknown;
}

interface SignalExitEmitter {
  count?: unknown;
}

/** Would the remaining listeners (ours removed) end the process, as the default action does? */
export function othersWouldExit(proc: SignalProcess, sig: string, globals: object = globalThis): boolean {
  const n = proc.listenerCount(sig);
  if (n === 0) return true;
  // signal-exit v4 keeps its emitter on globalThis under a registered symbol, v3 on process.
  const v4 = (globals as Record<symbol, SignalExitEmitter | undefined>)[Symbol.for('signal-exit emitter')];
  const v3 = (proc as unknown as { __signal_exit_emitter__?: SignalExitEmitter }).__signal_exit_emitter__;
  const count = (e: SignalExitEmitter | undefined): number => (typeof e?.count === 'number' ? e.count : 0);
  return count(v4) + count(v3) >= n;
}

export function installSignalFlush(proc: SignalProcess, flush: Flush): void {
  let flushing: Promise<boolean> | undefined;
  const flushOnce = (): Promise<boolean> => (flushing ??= flush());
  for (const sig of ['SIGTERM', 'SIGINT']) {
    const handler = (): void => {
      flushOnce().then(
        () => {
          proc.removeListener(sig, handler);
          if (othersWouldExit(proc, sig)) proc.kill(proc.pid, sig);
        },
        () => undefined,
      );
    };
    proc.on(sig, handler);
  }
  // The app is done (its event loop emptied). Flush within the bound; if an exporter is still retrying an
  // unreachable collector after that, its timers must not keep the finished process alive: exit as it would have.
  proc.once('beforeExit', () => {
    flushOnce().then(
      (completed) => {
        if (!completed) proc.exit();
      },
      () => undefined,
    );
  });
}
