// Child processes for the e2e harness: each runs in its own process group so
// that teardown kills it and anything it spawned; output goes to a log file
// that is printed when the process dies unexpectedly or a wait times out.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited (immediately if it already has). */
  exited(): Promise<void>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once exited. */
  stop(graceMs?: number): Promise<void>;
  /** Last lines of the log. */
  tail(lines?: number): string;
}

const live = new Set<number>();
let exitHookInstalled = false;

/** Last resort when teardown never runs (uncaught error): kill every group still alive on exit. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const pgid of live) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    live.clear();
  };
  // no signal handlers: tap owns those; the reaper below covers death by signal
  process.on('exit', killAll);
}

/**
 * A detached shell that SIGKILLs the child's group once this process is gone,
 * even if it died by SIGKILL (tap timeout) and ran no handler at all.
 */
function startReaper(childPid: number): void {
  const script = 'while kill -0 "$0" 2>/dev/null && kill -0 -"$1" 2>/dev/null; do sleep 1; done; kill -9 -"$1" 2>/dev/null; exit 0';
  const reaper = spawn('/bin/sh', ['-c', script, String(process.pid), String(childPid)], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
}

export function startProc(
  name: string,
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; logFile: string },
): Proc {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // own process group: kill(-pid) reaches grandchildren
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  installExitHook();
  if (child.pid !== undefined) {
    live.add(child.pid);
    startReaper(child.pid);
  }
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let done = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      if (child.pid !== undefined) live.delete(child.pid);
      done = true;
      resolve();
    });
    child.once('error', (err) => {
      log.write(`spawn error: ${String(err)}\n`);
      done = true;
      resolve();
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (done || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* group already gone */
    }
  };
  return {
    name,
    child,
    logFile: opts.logFile,
    exited: () => exit,
    async stop(graceMs = 5000): Promise<void> {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      // the leader is gone; make sure no straggler in its group survives
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* nothing left */
        }
      }
    },
    tail(lines = 30): string {
      try {
        return readFileSync(opts.logFile, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface HttpsProbe {
  url: string;
  ca?: string;
  token?: string;
  insecure?: boolean;
}

/** One GET; resolves to the status code (0 on a connection or TLS error). */
export function httpsStatus(p: HttpsProbe, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      p.url,
      {
        method: 'GET',
        ca: p.ca,
        rejectUnauthorized: p.insecure !== true,
        headers: p.token ? { authorization: `Bearer ${p.token}` } : {},
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Polls `check` until it returns true; throws with the process log on timeout or death. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; proc?: Proc; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let dead = false;
  void opts.proc?.exited().then(() => {
    dead = true;
  });
  while (Date.now() < deadline) {
    if (await check()) return;
    if (dead) {
      throw new Error(`${opts.proc?.name} exited while waiting for ${what}:\n${opts.proc?.tail() ?? ''}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
  throw new Error(`timed out after ${opts.timeoutMs}ms waiting for ${what}\n${opts.proc?.tail() ?? ''}`);
}
