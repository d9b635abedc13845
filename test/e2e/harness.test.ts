// The harness tears everything down however a test ends: a failing assertion
// (t.teardown), an uncaught error (exit hook), or the test process killed
// with SIGKILL (the per-process reaper). Each mode runs fixtures/start-and-die.ts
// in its own node process and then checks that etcd, kube-apiserver and the
// webhook are gone.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './harness.js';

const fixture = fileURLToPath(new URL('./fixtures/start-and-die.ts', import.meta.url));
const tsLoader = import.meta.resolve('@tapjs/typescript/import');

interface Started {
  pids: number[];
  dir: string;
}

interface Outcome {
  started: Started | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Running (a zombie waiting for init to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Runs the fixture; with `killWhenStarted` SIGKILLs it once it has printed its pids. */
function runFixture(mode: string, killWhenStarted: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--import=${tsLoader}`, fixture], {
      cwd: repoRoot,
      env: { ...process.env, MODE: mode },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let started: Started | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const line = /^E2E-FIXTURE (.*)$/m.exec(stderr);
      if (started === undefined && line?.[1] !== undefined) {
        started = JSON.parse(line[1]) as Started;
        if (killWhenStarted) child.kill('SIGKILL');
      }
    });
    child.on('exit', (exitCode, signal) => resolve({ started, exitCode, signal, stderr }));
  });
}

async function allGone(pids: number[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  return !pids.some(alive);
}

const modes = [
  ['fail', false, 'a failing test: t.teardown'],
  ['crash', false, 'an uncaught error'],
  ['hang', true, 'the test process SIGKILLed'],
] as const;
// the three fixtures are independent processes: run them at the same time
const outcomes = modes.map(([mode, kill]) => runFixture(mode, kill));

modes.forEach(([, kill, how], i) => {
  t.test(`everything is torn down after ${how}`, async (tt) => {
    const out = await (outcomes[i] as Promise<Outcome>);
    tt.ok(out.started, `fixture started etcd, kube-apiserver and the webhook${out.started ? '' : `:\n${out.stderr}`}`);
    const pids = out.started?.pids ?? [];
    tt.equal(pids.length, 3, 'three processes');
    if (kill) tt.equal(out.signal, 'SIGKILL', 'fixture was killed');
    else tt.not(out.exitCode, 0, 'fixture reported failure');
    // the reaper polls once a second; teardown and the exit hook run before the fixture exits
    tt.ok(await allGone(pids, kill ? 5000 : 2000), `no process left (${pids.join(', ')})`);
    if (!kill) tt.notOk(existsSync(out.started?.dir ?? '/nonexistent-e2e'), 'temp dir removed');
    if (out.started !== undefined) await rm(out.started.dir, { recursive: true, force: true });
  });
});
