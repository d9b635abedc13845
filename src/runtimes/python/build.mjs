#!/usr/bin/env node
// Builds the Python payload into dist/payload/python/ (layout in docs/python-build.md):
//   sitecustomize.py, _otel_injector/   copied as .py from payload/, plus each interpreter's
//                                       __pycache__/*.cpython-3X.pyc of them (build_lib.py bootstrap-pyc)
//   lib/cp3X.zip, lib/cp3X.json         per CPython minor, built BY that interpreter (build_lib.py lib)
//   native/<tag>/psutil/                psutil abi3 wheels for manylinux/musllinux x86_64/aarch64
//                                       (build_lib.py native)
// Interpreters: env OTEL_INJECTOR_PYTHONS (paths, comma or space separated), else for each minor
// ~/.pyenv/versions/3.X.*/bin/python3.X (newest patch), else `python3.X` on PATH. A missing one is an
// error unless --allow-missing-python. The minors and their requirements files: scripts/pythons.mjs (pythons.json);
// a minor whose requirements file is missing is not built.
// Caches: pip's download cache shared by every checkout (scripts/cache-dirs.mjs), each built lib in
// .cache/payload-build/python/<cp3X>-<key>/ (key: the requirements file, build_lib.py, the interpreter's
// exact version), so a warm build copies.
// Env OTEL_INJECTOR_PY_SRC: another directory laid out like payload/ (default that one).
// Called by scripts/build-payload.mjs; standalone: node src/runtimes/python/build.mjs [outDir] [--quiet] [--allow-missing-python]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedCacheDir } from '../../../scripts/cache-dirs.mjs';
import { MINORS, NEWEST, requirementsOf } from '../../../scripts/pythons.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
export { MINORS };
const BUILD_LIB = join(here, 'build_lib.py');
const NATIVE_TAGS = ['manylinux_aarch64', 'manylinux_x86_64', 'musllinux_aarch64', 'musllinux_x86_64'];

export class BuildError extends Error {}

function sh(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { code: -1, stdout: '', stderr: String(r.error) };
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function shAsync(cmd, args) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (err) => res({ code: -1, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

function versionOf(python) {
  const r = sh(python, ['-c', 'import sys, platform; print("%d.%d" % sys.version_info[:2], sys.version.split()[0], platform.machine())']);
  if (r.code !== 0) return undefined;
  const [minor, full, machine] = r.stdout.trim().split(' ');
  return { minor, full, machine };
}

const byPatch = (a, b) => Number(a.split('.')[2] ?? 0) - Number(b.split('.')[2] ?? 0);

function candidates(minor) {
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  const fromPyenv = existsSync(pyenv)
    ? readdirSync(pyenv).filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.startsWith(`${minor}.`)).sort(byPatch).reverse()
      .map((v) => join(pyenv, v, 'bin', `python${minor}`))
    : [];
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, `python${minor}`));
  return [...fromPyenv, ...onPath].filter((p) => existsSync(p));
}

/** minor -> { python, full, machine } for every minor we can build; throws naming what is missing. */
export function findInterpreters(minors, { allowMissing = false, log = () => {} } = {}) {
  const found = new Map();
  const listed = (process.env.OTEL_INJECTOR_PYTHONS ?? '').split(/[\s,]+/).filter(Boolean);
  for (const python of listed) {
    const v = versionOf(python);
    if (v === undefined) throw new BuildError(`OTEL_INJECTOR_PYTHONS lists ${python}, which does not run`);
    if (minors.includes(v.minor)) found.set(v.minor, { python, ...v });
  }
  const missing = [];
  for (const minor of minors.filter((m) => !found.has(m))) {
    const python = candidates(minor).find((p) => versionOf(p)?.minor === minor);
    if (python === undefined) missing.push(minor);
    else found.set(minor, { python, ...versionOf(python) });
  }
  if (missing.length > 0) {
    const what = `no interpreter for CPython ${missing.join(', ')} (looked at OTEL_INJECTOR_PYTHONS, ~/.pyenv/versions/3.X.*/bin/python3.X, python3.X on PATH)`;
    if (!allowMissing) throw new BuildError(`${what}; install it or pass --allow-missing-python to build without it`);
    log(`build python payload: WARNING ${what}: the payload will not instrument those versions`);
  }
  return found;
}

const sha = (...parts) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
const cpTag = (minor) => `cp${minor.replace('.', '')}`;

function buildCached({ cacheDir, key, args, python, what, then = () => {} }) {
  const dir = join(cacheDir, key);
  if (existsSync(join(dir, '.done'))) return { dir, cached: true };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const env = { ...process.env, PIP_CACHE_DIR: sharedCacheDir('pip'), PYTHONDONTWRITEBYTECODE: '1' };
  const native = args[0] === 'native';
  const r = sh(python, [BUILD_LIB, ...args, '--out', native ? join(tmp, 'native') : tmp], env);
  try {
    if (r.code !== 0) throw new BuildError(`${what} failed (${python}):\n${(r.stdout + r.stderr).slice(-4000)}`);
    then(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  mkdirSync(join(dir, '.done'));
  return { dir, cached: false };
}

/** Every file and symlink below dir (a symlink counts as a file of its own size, as a copy makes it). */
function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return lstatSync(p).isDirectory() ? walk(p) : [p];
  });
}

const size = (files) => files.reduce((s, f) => s + lstatSync(f).size, 0);

/** Imports the SDK and every instrumentor from the zip alone, with that interpreter (build_lib.py verify). */
async function verify(python, pyDir, minor) {
  const r = await shAsync(python, ['-I', '-S', '-B', BUILD_LIB, 'verify', '--out', pyDir]);
  if (r.code !== 0) throw new BuildError(`verify ${cpTag(minor)}.zip with ${python} failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
  return r.stdout.trim();
}

function requirementsFor(src, minor) {
  const file = join(src, 'requirements', requirementsOf(minor));
  return existsSync(file) ? file : undefined;
}

function copySource(src, pyDir) {
  for (const need of ['sitecustomize.py', '_otel_injector']) {
    if (!existsSync(join(src, need))) throw new BuildError(`${join(src, need)} is missing (the payload's own source)`);
  }
  cpSync(join(src, 'sitecustomize.py'), join(pyDir, 'sitecustomize.py'));
  cpSync(join(src, '_otel_injector'), join(pyDir, '_otel_injector'), {
    recursive: true,
    filter: (p) => !p.includes('__pycache__') && !p.endsWith('.pyc'),
  });
}

/**
 * Builds the Python payload into `out` (emptied first). Options: quiet, allowMissing (build without the versions that have no
 * interpreter), log (line printer). Returns { files, bytes, versions }.
 */
export async function build(out, { quiet = false, allowMissing = false, log = (l) => console.log(l) } = {}) {
  const src = resolve(process.env.OTEL_INJECTOR_PY_SRC ?? join(here, 'payload'));
  const pyDir = out;
  const cacheDir = join(root, '.cache', 'payload-build', 'python');
  const t0 = Date.now();
  const minors = MINORS.filter((m) => requirementsFor(src, m) !== undefined);
  if (!minors.includes(NEWEST)) throw new BuildError(`${join(src, 'requirements', requirementsOf(NEWEST))} is missing`);
  const pythons = findInterpreters(minors, { allowMissing, log });
  if (pythons.size === 0) throw new BuildError('no CPython interpreter at all: nothing to build python/ with');
  rmSync(pyDir, { recursive: true, force: true });
  mkdirSync(join(pyDir, 'lib'), { recursive: true });
  copySource(src, pyDir);
  // build_lib.py and its parts next to it (build_*.py): a change to any of them rebuilds the cached libs.
  const buildScript = readdirSync(here).filter((f) => /^build_\w+\.py$/.test(f)).sort().map((f) => readFileSync(join(here, f), 'utf8')).join('\n');
  const lines = [];
  for (const [minor, py] of [...pythons].sort((a, b) => MINORS.indexOf(a[0]) - MINORS.indexOf(b[0]))) {
    const req = requirementsFor(src, minor);
    const key = `${cpTag(minor)}-${sha(readFileSync(req, 'utf8'), buildScript, py.full, py.machine)}`;
    const t1 = Date.now();
    const lib = buildCached({ cacheDir, key, python: py.python, args: ['lib', '--requirements', req], what: `build ${cpTag(minor)}.zip` });
    for (const ext of ['zip', 'json']) cpSync(join(lib.dir, `${cpTag(minor)}.${ext}`), join(pyDir, 'lib', `${cpTag(minor)}.${ext}`));
    lines.push(`${cpTag(minor)}: ${py.python} (${py.full}), ${lib.cached ? 'cached' : `built in ${((Date.now() - t1) / 1000).toFixed(1)} s`}`);
  }
  // native/: psutil, the same abi3 wheels for every version: one interpreter downloads them.
  const [newest] = [...pythons].sort((a, b) => MINORS.indexOf(b[0]) - MINORS.indexOf(a[0]));
  const req310 = requirementsFor(src, NEWEST);
  const psutilPin = readFileSync(req310, 'utf8').replace(/\\\n/g, ' ').split('\n').find((l) => /^psutil\b/i.test(l.trim())) ?? '';
  // Each interpreter then adds its own psutil __pycache__ (build_lib.py native-pyc): cached with them.
  const versions = [...pythons.values()].map((py) => `${py.full}/${py.machine}`).sort().join(' ');
  const native = buildCached({
    cacheDir, key: `native-${sha(psutilPin, buildScript, versions)}`, python: newest[1].python, args: ['native', '--requirements', req310], what: 'download psutil wheels',
    then: (tmp) => {
      mkdirSync(join(tmp, 'python'));
      renameSync(join(tmp, 'native'), join(tmp, 'python', 'native'));
      for (const py of pythons.values()) {
        const r = sh(py.python, [BUILD_LIB, 'native-pyc', '--out', join(tmp, 'python')]);
        if (r.code !== 0) throw new BuildError(`native-pyc with ${py.python} failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
      }
    },
  });
  cpSync(join(native.dir, 'python', 'native'), join(pyDir, 'native'), { recursive: true, verbatimSymlinks: true });
  for (const tag of NATIVE_TAGS) if (!existsSync(join(pyDir, 'native', tag, 'psutil'))) throw new BuildError(`native/${tag}/psutil missing`);
  for (const py of pythons.values()) {
    const r = sh(py.python, [BUILD_LIB, 'bootstrap-pyc', '--out', pyDir]);
    if (r.code !== 0) throw new BuildError(`bootstrap-pyc with ${py.python} failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
  }
  const checks = await Promise.all([...pythons].map(async ([minor, py]) => `verify ${cpTag(minor)}: ${await verify(py.python, pyDir, minor)}`));
  lines.push(...checks);
  const files = walk(pyDir);
  const result = { files: files.length, bytes: size(files), versions: [...pythons.keys()] };
  if (!quiet) printSizes(log, pyDir, files, lines, t0);
  return result;
}

function printSizes(log, pyDir, files, lines, t0) {
  for (const l of lines) log(`python  ${l}`);
  const groups = new Map();
  for (const f of files) {
    const rel = relative(pyDir, f);
    const g = rel.startsWith('lib/') ? rel : rel.split('/').slice(0, rel.startsWith('native/') ? 2 : 1).join('/');
    const e = groups.get(g) ?? { bytes: 0, files: 0 };
    e.bytes += lstatSync(f).size;
    e.files += 1;
    groups.set(g, e);
  }
  for (const [g, e] of [...groups].sort()) log(`${String(e.bytes).padStart(9)}  python/${g}${e.files > 1 ? ` (${e.files} files)` : ''}`);
  log(`${String(size(files)).padStart(9)}  python/ total, ${files.length} files (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outArg = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const out = outArg ? resolve(outArg) : join(root, 'dist', 'payload', 'python');
  try {
    await build(out, { quiet: process.argv.includes('--quiet'), allowMissing: process.argv.includes('--allow-missing-python') });
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(`build python payload: ${err.message}`);
    process.exit(1);
  }
}
