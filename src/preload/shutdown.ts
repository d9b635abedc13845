/**
 * Flush on SIGTERM/SIGINT within a bounded time, then let the signal do what it would have done
 * without us: if the app has its own handler, it decides; otherwise the default action (exit by
 * signal) is restored and the signal re-raised.
 */
export type Flush = () => Promise<void>;

export interface SignalProcess {
  pid: number;
  on(event: string, listener: () => void): unknown;
  once(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
}

export function installSignalFlush(proc: SignalProcess, flush: Flush): void {
  let flushing: Promise<void> | undefined;
  const flushOnce = (): Promise<void> => (flushing ??= flush());
  for (const sig of ['SIGTERM', 'SIGINT']) {
    const handler = (): void => {
      const appHandles = proc.listenerCount(sig) > 1;
      flushOnce().then(
        () => {
          if (appHandles) return;
          proc.removeListener(sig, handler);
          proc.kill(proc.pid, sig);
        },
        () => undefined,
      );
    };
    proc.on(sig, handler);
  }
  proc.once('beforeExit', () => {
    flushOnce().then(
      () => undefined,
      () => undefined,
    );
  });
}
