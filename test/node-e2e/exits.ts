// When the kubelet killed a container and when it exited, as the node's own logs and containerd's events
// tell it (the delete cases of node.test.ts and prefork.ts).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Node } from './node.js';

/** Epoch ms at which the kubelet logged "Killing container with a grace period" for each container id. */
export async function killTimes(node: Node, ids: string[]): Promise<Array<number | undefined>> {
  const log = await readFile(join(node.dir, 'kubelet.log'), 'utf8');
  return ids.map((id) => {
    const line = log.split('\n').find((l) => l.includes('Killing container with a grace period') && l.includes(id));
    const m = /^[IWE](\d\d)(\d\d) (\d\d:\d\d:\d\d\.\d+)/.exec(line ?? '');
    if (m === null) return undefined;
    return Date.parse(`${new Date().getUTCFullYear()}-${m[1]}-${m[2]}T${m[3]}Z`);
  });
}

/**
 * ms from `t0` until each container's init process exited, from containerd's own `/tasks/exit` events
 * (`exited_at`, stamped by the shim when it reaps the process): exact, where polling `ctr tasks ls` under
 * load added up to a second of its own.
 */
export async function containerExits(node: Node, ids: string[], t0: number, timeoutMs: number): Promise<Array<number | undefined>> {
  const out: Array<number | undefined> = ids.map(() => undefined);
  const events = spawn(node.ctr, ['--address', node.containerdSock, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let buffer = '';
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    events.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const m = /\s\/tasks\/exit (\{.*\})\s*$/.exec(line);
        if (m?.[1] === undefined) continue;
        const e = JSON.parse(m[1]) as { container_id?: string; id?: string; exited_at?: string };
        const i = ids.indexOf(e.container_id ?? '');
        if (i < 0 || e.id !== e.container_id) continue; // an exec'd process, not the container's own
        const at = Date.parse(e.exited_at ?? '');
        out[i] = (Number.isNaN(at) ? Date.now() : at) - t0;
      }
      if (out.every((x) => x !== undefined)) {
        clearTimeout(timer);
        resolve();
      }
    });
    events.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await done;
  events.kill();
  return out;
}
