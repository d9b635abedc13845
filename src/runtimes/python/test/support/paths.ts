// Where things are, and a cross-process lock so test files running in parallel prepare a shared thing
// (a Debian package, a virtualenv, the payload build) once.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './proc.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..');
export const PAYLOAD_DIR = join(ROOT, 'dist', 'payload');
export const PY_PAYLOAD = join(PAYLOAD_DIR, 'python');
export const NODE_PAYLOAD = join(PAYLOAD_DIR, 'node');
export const APPS = join(ROOT, 'src', 'runtimes', 'python', 'test', 'apps');
export const NODE_APPS = join(ROOT, 'src', 'runtimes', 'node', 'test', 'apps');
export const CACHE = join(ROOT, '.cache', 'python-test');

function holderAlive(dir: string): boolean {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` while holding the lock `name` (a directory under .cache/python-test/locks); waits up to `timeoutMs`. */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 900000): Promise<T> {
  const dir = join(CACHE, 'locks', name);
  mkdirSync(dirname(dir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch {
      // Held by someone else: wait, unless the holder died (then take it over).
      await sleep(300);
      if (!holderAlive(dir)) {
        await sleep(300);
        if (!holderAlive(dir)) rmSync(dir, { recursive: true, force: true });
      }
      if (Date.now() > deadline) throw new Error(`lock ${name}: still held after ${timeoutMs} ms`);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
