// Teardown when the test process is killed: fixtures/start-and-die.ts brings up the node and one
// running pod, then is SIGKILLed; the watchdog must run teardown.sh for it, leaving the host as it was.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../e2e/harness.js';
import { STATE_BASE, hostSnapshot } from './node.js';

t.setTimeout(15 * 60 * 1000);
const fixture = fileURLToPath(new URL('./fixtures/start-and-die.ts', import.meta.url));
const tsLoader = import.meta.resolve('@tapjs/typescript/import');

function runUntilStarted(): Promise<{ started: { podIP: string; dir: string } | undefined; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--import=${tsLoader}`, fixture], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let started: { podIP: string; dir: string } | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const line = /^NODE-FIXTURE (.*)$/m.exec(stderr);
      if (started === undefined && line?.[1] !== undefined) {
        started = JSON.parse(line[1]) as { podIP: string; dir: string };
        child.kill('SIGKILL');
      }
    });
    child.on('exit', () => resolve({ started, stderr }));
  });
}

await t.test('a SIGKILLed run: the watchdog tears the node down and the host is as before', async (tt) => {
  const before = await hostSnapshot();
  const { started, stderr } = await runUntilStarted();
  if (started === undefined) return tt.fail(`the fixture never ran its pod:\n${stderr.slice(-3000)}`);
  tt.ok(existsSync(started.dir), 'the run dir existed when the fixture was killed');
  const deadline = Date.now() + 60_000;
  while (existsSync(`${STATE_BASE}/state`) && Date.now() < deadline) await sleep(500);
  tt.notOk(existsSync(`${STATE_BASE}/state`), 'the state file is gone (teardown.sh ran)');
  tt.notOk(existsSync(started.dir), 'the run dir is gone');
  const after = await hostSnapshot();
  tt.same(after, before, 'sysctls, cgroups, interfaces, network namespaces and host paths as before');
  const ps = await new Promise<string>((resolve) => {
    const c = spawn('ps', ['-eo', 'args'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', () => resolve(out));
  });
  tt.same(ps.split('\n').filter((l) => l.includes(started.dir)), [], 'no process of the run is left (kubelet, containerd, shims)');
});
