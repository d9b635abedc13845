// Child processes for the Python integration tests: spawned in their own process group, their output
// kept, waited for with bounded timeouts, and stopped (group-wide) at the end, also when a test fails or
// the test file crashes.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export interface Proc {
  readonly proc: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  running(): boolean;
  /** Waits until `re` matches stdout+stderr; rejects on exit or after `timeoutMs`. */
  waitOutput(re: RegExp, timeoutMs: number, what?: string): Promise<void>;
  /** Sends `signal` to the process only (not its group), waits for the exit; SIGKILLs the group after `graceMs`. */
  signal(signal: NodeJS.Signals, graceMs?: number): Promise<Exit & { ms: number }>;
  /** Stops the whole process group: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<number>();
let dying = false;
function killAll(): void {
  dying = true;
  for (const pgid of live) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
  }
}
process.once('exit', killAll);
// A test file killed from outside (tap's timeout, Ctrl-C) takes its servers and apps with it.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(sig, () => { killAll(); process.kill(process.pid, sig); });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

export function run(cmd: string, args: readonly string[], options: SpawnOptions = {}): Proc {
  if (dying) throw new Error(`not starting ${cmd}: this test process is being stopped`);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
  if (proc.pid === undefined) throw new Error(`could not start ${cmd}`);
  const pid = proc.pid;
  live.add(pid);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = (): void => { for (const l of [...listeners]) l(); };
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); notify(); });
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); notify(); });
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => { live.delete(pid); resolve({ code, signal }); });
    proc.once('error', () => { live.delete(pid); resolve({ code: -1, signal: null }); });
  });
  let done = false;
  void exited.then(() => { done = true; notify(); });

  const waitOutput = (re: RegExp, timeoutMs: number, what = String(re)): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => {
      if (re.test(out + err)) { cleanup(); resolve(); return; }
      if (done) { cleanup(); reject(new Error(`${cmd} exited before ${what}:\n${tail(out + err)}`)); }
    };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${cmd}: no ${what} within ${timeoutMs} ms:\n${tail(out + err)}`)); }, timeoutMs);
    const cleanup = (): void => { clearTimeout(timer); listeners.delete(check); };
    listeners.add(check);
    check();
  });

  const signal = async (sig: NodeJS.Signals, graceMs = 20000): Promise<Exit & { ms: number }> => {
    const t0 = Date.now();
    if (!done) proc.kill(sig);
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    const r = await exited;
    clearTimeout(timer);
    return { ...r, ms: Date.now() - t0 };
  };

  const stop = async (graceMs = 10000): Promise<void> => {
    if (!done) killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // Whatever the leader left behind in its group (helpers, workers) goes too.
    killGroup(pid, 'SIGKILL');
  };

  return { proc, pid, stdout: () => out, stderr: () => err, exited, running: () => !done, waitOutput, signal, stop };
}

/** Runs a command to completion (bounded), resolving with its output; rejects on a non-zero exit. */
export async function runToEnd(cmd: string, args: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<string> {
  const p = run(cmd, args, options);
  const timer = setTimeout(() => { void p.stop(1000); }, options.timeoutMs ?? 600000);
  const r = await p.exited;
  clearTimeout(timer);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code ?? r.signal}):\n${tail(p.stdout() + p.stderr(), 4000)}`);
  return p.stdout();
}

export function tail(s: string, n = 2000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; closed again right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds, polling every 50 ms; false when `timeoutMs` passed first (bounded). */
export async function until(ok: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
