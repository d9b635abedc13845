#!/usr/bin/env node
// The Python linter and formatter (ruff, pinned, from PyPI into the shared tool cache) over the payload, its
// build scripts, the Python tests and test apps: `ruff check` and `ruff format --check` with ruff.toml.
// Exits non-zero on any finding. `node scripts/lint-python.mjs --fix` applies the fixes and the format.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedCacheDir } from './cache-dirs.mjs';
import { findInterpreters } from '../src/runtimes/python/build.mjs';
import { MINORS, NEWEST, OLDEST } from './pythons.mjs';

const RUFF_VERSION = '0.17.6';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PATHS = ['src/runtimes', 'scripts', 'test/node-e2e', 'bench'];
const fix = process.argv.includes('--fix');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

const dir = sharedCacheDir(`tools/ruff-${RUFF_VERSION}`);
const ruff = join(dir, 'bin', 'ruff');
if (!existsSync(ruff)) {
  const newest = [...findInterpreters(MINORS, { allowMissing: true }).values()].at(-1);
  if (newest === undefined) {
    console.error(`lint-python: no CPython ${OLDEST}-${NEWEST} to install ruff with`);
    process.exit(2);
  }
  const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_CACHE_DIR: sharedCacheDir('pip') };
  if (run(newest.python, ['-m', 'pip', 'install', '-q', '--target', dir, `ruff==${RUFF_VERSION}`], { env }) !== 0) {
    console.error(`lint-python: could not install ruff ${RUFF_VERSION}`);
    process.exit(2);
  }
}
const paths = PATHS.filter((p) => existsSync(join(root, p)));
const check = run(ruff, ['check', ...(fix ? ['--fix'] : []), ...paths]);
const format = run(ruff, ['format', ...(fix ? [] : ['--check']), ...paths]);
process.exit(check === 0 && format === 0 ? 0 : 1);
