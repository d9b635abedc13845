// The Python side of the integration tests: the pyenv interpreters, the built payload (dist/payload/python)
// and its manifests, and the test apps' own virtualenvs (pinned requirements, NO OpenTelemetry package
// unless a test asks for one), cached under .cache/python-test/ and built once across test files.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CACHE, PY_PAYLOAD, ROOT, withLock } from './paths.js';
import { runToEnd } from './proc.js';
import { sharedCacheDir } from '../../../../../scripts/cache-dirs.mjs';
import { MINORS, NEWEST, OLDEST } from '../../../../../scripts/pythons.mjs';

/** The supported CPython minors, oldest first (pythons.json). */
export { MINORS };

/** `~/.pyenv/versions/3.X.*\/bin/python3.X`, the newest patch release of that minor. */
export function interpreter(minor: string): string {
  const versions = join(homedir(), '.pyenv', 'versions');
  const found = (existsSync(versions) ? readdirSync(versions) : [])
    .filter((v) => v.startsWith(`${minor}.`) && /^\d+\.\d+\.\d+$/.test(v))
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
  const newest = found.at(-1);
  if (newest === undefined) throw new Error(`no CPython ${minor} under ${versions}`);
  const bin = join(versions, newest, 'bin', `python${minor}`);
  if (!existsSync(bin)) throw new Error(`${bin} missing`);
  return bin;
}

/** Builds dist/payload (Node and Python) once if the Python payload is not there yet. */
export async function ensurePayload(): Promise<void> {
  if (existsSync(join(PY_PAYLOAD, 'sitecustomize.py'))) return;
  await withLock('build-payload', async () => {
    if (existsSync(join(PY_PAYLOAD, 'sitecustomize.py'))) return;
    await runToEnd(process.execPath, [join(ROOT, 'scripts', 'build-payload.mjs'), '--quiet'], { cwd: ROOT, env: process.env, timeoutMs: 1800000 });
  });
  if (!existsSync(join(PY_PAYLOAD, 'sitecustomize.py'))) throw new Error('the payload build did not produce dist/payload/python/sitecustomize.py');
}

export interface Manifest { python: string; dists: Record<string, { version: string; requires?: Record<string, string> }> }

/** The payload's manifest for CPython `minor` (lib/cp3X.json), or undefined when that version is not shipped. */
export function manifest(minor: string): Manifest | undefined {
  const file = join(PY_PAYLOAD, 'lib', `cp${minor.replace('.', '')}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Manifest : undefined;
}

/** Our version of a distribution (names compared the PEP 503 way). */
export function ourVersion(minor: string, dist: string): string {
  const entry = Object.entries(manifest(minor)?.dists ?? {}).find(([name]) => normalizeDist(name) === normalizeDist(dist));
  if (entry === undefined) throw new Error(`${dist} is not in the payload manifest for ${minor}`);
  return entry[1].version;
}

/** The CPython minors the tests run on: the lowest the payload ships (the oldest supported, else the next) and the
 * newest (scripts/pythons.mjs). */
export function testedPythons(): string[] {
  const lowest = manifest(OLDEST) !== undefined ? OLDEST : (MINORS[1] ?? NEWEST);
  return [lowest, NEWEST];
}

export interface Venv { readonly dir: string; readonly python: string; readonly minor: string; bin(name: string): string; sitePackages(): string }

/** Requirement lines of a file under apps/requirements/ (comments dropped). */
export function requirements(file: string): string[] {
  return readFileSync(join(ROOT, 'src', 'runtimes', 'python', 'test', 'apps', 'requirements', file), 'utf8')
    .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '');
}

const UV_VERSION = '0.13.8';

/** uv (from PyPI, pinned) builds the venvs: seconds where pip takes a minute on a busy machine. */
async function uv(): Promise<string> {
  const dir = join(CACHE, 'tools', `uv-${UV_VERSION}`);
  const bin = join(dir, 'bin', 'uv');
  if (existsSync(bin)) return bin;
  await withLock('tool-uv', async () => {
    if (existsSync(bin)) return;
    const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
    await runToEnd(interpreter('3.13'), ['-m', 'pip', 'install', '-q', '--cache-dir', sharedCacheDir('pip'), '--target', dir, `uv==${UV_VERSION}`], { env, timeoutMs: 600000 });
  });
  return bin;
}

/** The shop app's pinned requirements for CPython `minor`. */
export function shopRequirements(minor: string): string[] {
  return requirements(minor === '3.9' ? 'shop-py39.txt' : 'shop-py310plus.txt');
}

/** Distribution names compared the PEP 503 way. */
export const normalizeDist = (s: string): string => s.toLowerCase().replace(/[-_.]+/g, '-');

/** The shop requirements with these pins replacing the same distributions' lines (or added). */
export function pinned(minor: string, pins: Record<string, string>): string[] {
  const names = new Set(Object.keys(pins).map(normalizeDist));
  const kept = shopRequirements(minor).filter((l) => !names.has(normalizeDist(l.split(/[=<>;\s[]/)[0] ?? '')));
  return [...kept, ...Object.entries(pins).map(([n, v]) => `${n}==${v}`)];
}

/**
 * A virtualenv for `minor` with exactly `reqs` installed (binary wheels only), cached under
 * .cache/python-test/venvs/<name>-py3.X-<hash of interpreter, requirements and files>; uv's cache beside it.
 * `files` are written into its site-packages afterwards (e.g. an image's own sitecustomize.py).
 * `fromSource`: requirements built from their sdist (e.g. uWSGI, which has no wheel), installed last.
 */
export async function ensureVenv(name: string, minor: string, reqs: readonly string[], files: Record<string, string> = {}, fromSource: readonly string[] = []): Promise<Venv> {
  const python = interpreter(minor);
  const key = createHash('sha256').update(JSON.stringify(fromSource.length > 0 ? [python, reqs, files, fromSource] : [python, reqs, files])).digest('hex').slice(0, 12);
  const dir = join(CACHE, 'venvs', `${name}-py${minor}-${key}`);
  const venv: Venv = {
    dir,
    python: join(dir, 'bin', 'python'),
    minor,
    bin: (n) => join(dir, 'bin', n),
    sitePackages: () => join(dir, 'lib', `python${minor}`, 'site-packages'),
  };
  const ok = join(dir, '.complete');
  if (existsSync(ok)) return venv;
  const uvBin = await uv();
  await withLock(`venv-${name}-py${minor}-${key}`, async () => {
    if (existsSync(ok)) return;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(CACHE, 'venvs'), { recursive: true });
    // The machine's environment (proxy, CA bundle) plus uv's own settings.
    const env = { ...process.env, UV_CACHE_DIR: sharedCacheDir('uv'), UV_NO_PROGRESS: '1', UV_PYTHON_DOWNLOADS: 'never' };
    await runToEnd(uvBin, ['venv', '-q', '--python', python, dir], { env, timeoutMs: 120000 });
    const reqFile = join(dir, 'requirements.txt');
    writeFileSync(reqFile, `${reqs.join('\n')}\n`);
    await runToEnd(uvBin, ['pip', 'install', '-q', '--python', venv.python, '--only-binary', ':all:', '-r', reqFile], { env, timeoutMs: 900000 });
    if (fromSource.length > 0) await runToEnd(uvBin, ['pip', 'install', '-q', '--python', venv.python, '--no-deps', ...fromSource], { env, timeoutMs: 900000 });
    for (const [rel, text] of Object.entries(files)) writeFileSync(join(venv.sitePackages(), rel), text);
    writeFileSync(ok, new Date().toISOString());
  });
  return venv;
}
