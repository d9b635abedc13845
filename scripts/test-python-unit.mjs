#!/usr/bin/env node
// The Python payload's pytest unit suite (src/runtimes/python/test/unit/), on the lowest and the highest
// supported CPython (or those named): for each interpreter a cached virtualenv under
// .cache/python-test/<cp3X>-<key>/ with the pinned test dependencies
// (src/runtimes/python/test/requirements-test-*.txt), a bare virtualenv (no packages: the "app" the
// subprocess tests start), one with OpenTelemetry API+SDK 1.39.1 of its own (requirements-test-otel-app.txt:
// the app that carries OpenTelemetry), then pytest. The payload is the built one (dist/payload/python; built
// here with src/runtimes/python/build.mjs, cached).
// Prints pytest's own output, then tap's summary line `# { total, pass, fail }` counted from pytest's
// JUnit XML (scripts/test-all.mjs reads it), and exits non-zero when any interpreter's run failed.
// Usage: node scripts/test-python-unit.mjs [3.9 3.13 ...]   (env OTEL_INJECTOR_TEST_PYTHONS too; default: the oldest and
// the newest minor of scripts/pythons.mjs)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedCacheDir } from './cache-dirs.mjs';
import { NEWEST, OLDEST, requirementsOf } from './pythons.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache', 'python-test');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: opts.capture ? 'pipe' : 'inherit', encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return r;
}

function interpreter(minor) {
  const versions = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  const found = existsSync(versions)
    ? readdirSync(versions).filter((v) => v.startsWith(`${minor}.`) && /^\d+\.\d+\.\d+$/.test(v))
      .sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]))
    : [];
  for (const v of found) {
    const p = join(versions, v, 'bin', `python${minor}`);
    if (existsSync(p)) return p;
  }
  const onPath = run('sh', ['-c', `command -v python${minor}`], { capture: true });
  if (onPath.status === 0) return onPath.stdout.trim();
  throw new Error(`no python${minor} (looked in ${versions} and on PATH)`);
}

function venv(python, minor, reqFile) {
  const key = createHash('sha256').update(readFileSync(reqFile)).update(python).digest('hex').slice(0, 12);
  const dir = join(cache, `cp${minor.replace('.', '')}-${key}`);
  if (existsSync(join(dir, '.done'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  if (run(python, ['-m', 'venv', dir]).status !== 0) throw new Error(`venv with ${python} failed`);
  const pip = run(join(dir, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check',
    '--only-binary=:all:', '-r', reqFile], { env: { ...process.env, PIP_CACHE_DIR: sharedCacheDir('pip') } });
  if (pip.status !== 0) throw new Error(`pip install -r ${reqFile} failed`);
  mkdirSync(join(dir, '.done')); // a venv embeds its own path: built in place, complete when marked
  return dir;
}

function bareVenv(python, minor) {
  const dir = join(cache, `app-cp${minor.replace('.', '')}`);
  if (existsSync(join(dir, 'bin', 'python'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  if (run(python, ['-m', 'venv', '--without-pip', dir]).status !== 0) throw new Error(`bare venv with ${python} failed`);
  return dir;
}

function junitCounts(file) {
  const xml = readFileSync(file, 'utf8');
  const suite = /<testsuite\b[^>]*>/.exec(xml)?.[0] ?? '';
  const attr = (n) => Number(new RegExp(`\\b${n}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const total = attr('tests');
  const fail = attr('failures') + attr('errors');
  const skip = attr('skipped');
  return { total, fail, skip, pass: total - fail - skip };
}

const minors = process.argv.slice(2).length > 0 ? process.argv.slice(2)
  : (process.env.OTEL_INJECTOR_TEST_PYTHONS ?? `${OLDEST} ${NEWEST}`).split(/[\s,]+/).filter(Boolean);

const build = run(process.execPath, [join(root, 'src', 'runtimes', 'python', 'build.mjs'), join(root, 'dist', 'payload', 'python'),
  '--quiet', '--allow-missing-python']);
if (build.status !== 0) {
  console.log('# { total: 1, pass: 0, fail: 1 }');
  process.exit(1);
}

const totals = { total: 0, pass: 0, fail: 0, skip: 0 };
let failed = false;
for (const minor of minors) {
  const python = interpreter(minor);
  // requirements-test-py39.txt, requirements-test-py310plus.txt: named after the payload's requirements file
  const req = join(root, 'src', 'runtimes', 'python', 'test', `requirements-test-${requirementsOf(minor).replace(/\.txt$/, '')}.txt`);
  const dir = venv(python, minor, req);
  const app = bareVenv(python, minor);
  const otelApp = venv(python, minor, join(root, 'src', 'runtimes', 'python', 'test', 'requirements-test-otel-app.txt'));
  const junit = join(cache, `junit-cp${minor.replace('.', '')}-${process.pid}.xml`);
  console.log(`\n== pytest on CPython ${minor} (${python}) ==`);
  const r = run(join(dir, 'bin', 'python'), ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', `--junitxml=${junit}`,
    join(root, 'src', 'runtimes', 'python', 'test', 'unit')], {
    env: {
      ...process.env,
      OTEL_INJECTOR_TEST_PAYLOAD: join(root, 'dist', 'payload', 'python'),
      OTEL_INJECTOR_TEST_APP_PYTHON: join(app, 'bin', 'python'),
      OTEL_INJECTOR_TEST_OTEL_APP_PYTHON: join(otelApp, 'bin', 'python'),
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
  if (r.status !== 0) failed = true;
  if (existsSync(junit)) {
    const c = junitCounts(junit);
    for (const k of Object.keys(totals)) totals[k] += c[k];
    rmSync(junit, { force: true });
  } else {
    totals.total += 1;
    totals.fail += 1;
  }
}
console.log(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skip} skipped (pytest, CPython ${minors.join(', ')})`);
console.log(`# { total: ${totals.total}, pass: ${totals.pass}, fail: ${totals.fail} }`);
process.exit(failed ? 1 : 0);
