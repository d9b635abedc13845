#!/usr/bin/env node
// `npm run build` (tsc) only when dist/ is older than the webhook's sources: the suites call this instead of
// building each time, so a suite never rewrites dist/ under another one that runs beside it, and a warm
// run does not compile the same tree five times. A lock directory keeps two lanes from building at once.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const lock = join(root, '.cache', 'build.lock');

/** Newest modification time under the inputs tsc -p tsconfig.build.json compiles. */
function newestInput() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!/^src\/runtimes\/[^/]+\/(payload|test)$/.test(path.slice(root.length + 1))) visit(path);
      } else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  visit(join(root, 'src'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

const fresh = () => existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput();

mkdirSync(dirname(lock), { recursive: true });
for (let i = 0; ; i++) {
  try {
    mkdirSync(lock);
    break;
  } catch {
    if (i > 1200) rmSync(lock, { recursive: true, force: true }); // a holder that died: after 10 minutes
    await sleep(500);
  }
}
try {
  if (!fresh()) {
    const started = Date.now();
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
    writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
  }
} finally {
  rmSync(lock, { recursive: true, force: true });
}
