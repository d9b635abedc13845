// The Python payload as `npm run build:payload` leaves it in dist/payload/python (docs/python-build.md):
// per-minor zips of sourceless, unchecked-hash .pyc compiled by that minor, a manifest that says what the zip
// holds, psutil for four platforms sharing its pure-Python files, and a build that refuses to go on
// without an interpreter unless told to, and gives the same bytes twice.
import AdmZip from 'adm-zip';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { findInterpreters, MINORS } from '../build.mjs';
import { NEWEST, cpTag, requirementsOf } from '../../../../scripts/pythons.mjs';
import { PY_PAYLOAD, ROOT } from './support/paths.js';
import { ensurePayload } from './support/python.js';

await ensurePayload();
const PY = PY_PAYLOAD;
const BUILD_LIB = join(ROOT, 'src/runtimes/python/build_lib.py');
const TAGS = ['manylinux_aarch64', 'manylinux_x86_64', 'musllinux_aarch64', 'musllinux_x86_64'];
const built = MINORS.filter((m) => existsSync(join(PY, 'lib', `cp${m.replace('.', '')}.zip`)));
const pythons = findInterpreters(built, { allowMissing: true });

interface Manifest {
  python: string;
  zip: string;
  dists: Record<string, { version: string; requires: Record<string, string> }>;
  entry_points: Record<string, Record<string, string>>;
  instrumentations: Record<string, { dist: string; entry_point: string; instruments: Record<string, string>; instruments_any: Record<string, string>; modules: string[] }>;
  native?: Record<string, { version: string; tags: string[] }>;
}

const py = (python: string, code: string, ...args: string[]): string => {
  const r = spawnSync(python, ['-I', '-S', '-B', '-c', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${python}: ${r.stderr}`);
  return r.stdout.trim();
};
const normalize = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

t.test('the layout: bootstrap as source, a zip and a manifest per supported minor, psutil per platform', async (t) => {
  t.ok(existsSync(join(PY, 'sitecustomize.py')), 'sitecustomize.py');
  t.ok(existsSync(join(PY, '_otel_injector', '__init__.py')), '_otel_injector/ as .py');
  t.same(MINORS.filter((m) => !built.includes(m)), [], 'a zip for every minor of pythons.json');
  t.same(readdirSync(join(PY, 'native')).sort(), TAGS, 'native/ has exactly the four Linux platforms');
  const pycache = readdirSync(PY, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('__pycache__'));
  t.same(pycache.filter((f) => !/^(native\/\w+\/psutil\/|_otel_injector\/)?__pycache__$/.test(f)), [], '__pycache__ only for what ships as source: psutil, sitecustomize, _otel_injector');
  const boot = readdirSync(join(PY, '__pycache__'));
  t.same(built.filter((m) => !boot.includes(`sitecustomize.cpython-${m.replace('.', '')}.pyc`)), [], 'sitecustomize precompiled by every minor');
  const sources = readdirSync(join(PY, '_otel_injector')).filter((f) => f.endsWith('.py'));
  const pycs = readdirSync(join(PY, '_otel_injector', '__pycache__'));
  t.same(built.flatMap((m) => sources.map((s) => `${s.slice(0, -3)}.cpython-${m.replace('.', '')}.pyc`)).filter((p) => !pycs.includes(p)), [], '_otel_injector precompiled by every minor');
});

for (const minor of built) {
  const tag = `cp${minor.replace('.', '')}`;
  t.test(`lib/${tag}.zip and lib/${tag}.json`, async (t) => {
    const zip = new AdmZip(join(PY, 'lib', `${tag}.zip`));
    const entries = zip.getEntries();
    const names = entries.map((e) => e.entryName);
    const manifest = JSON.parse(readFileSync(join(PY, 'lib', `${tag}.json`), 'utf8')) as Manifest;
    t.equal(manifest.python, minor, 'manifest names its minor');
    t.same(names, [...names].sort(), 'entries sorted');
    t.same(entries.filter((e) => e.header.time.getTime() !== new Date(1980, 0, 1).getTime()).map((e) => e.entryName), [], 'every entry dated 1980-01-01');
    t.same(names.filter((n) => /\.(py|so|pyi)$/.test(n) || n.includes('__pycache__') || /(^|\/)tests?\//.test(n)), [], 'no source, extension module, stub, __pycache__ or tests');
    const dirs = new Set(names.filter((n) => n.endsWith('/')));
    t.same(names.filter((n) => n.includes('/') && !dirs.has(n.slice(0, n.lastIndexOf('/') + 1))), [], 'a directory entry for every directory (namespace packages)');
    t.ok(names.includes('_otel_injector_vendor/opentelemetry/sdk/trace/__init__.pyc') && !names.includes('_otel_injector_vendor/opentelemetry/__init__.pyc'), 'our opentelemetry (a namespace package with the SDK in it) is vendored under _otel_injector_vendor');
    t.same(names.filter((n) => n.startsWith('opentelemetry')), [], 'no top-level opentelemetry: an app\'s `import opentelemetry` never finds ours');
    t.ok(names.includes('wrapt/wrappers.pyc') && !names.some((n) => n.startsWith('wrapt/_wrappers')), 'wrapt without its C extension');
    t.notOk(names.some((n) => n.startsWith('psutil')), 'psutil is not in the zip (native/)');

    // Every .pyc: this minor's magic number, flags = 1 (hash-based, unchecked: no source is ever stat-ed).
    const python = pythons.get(minor)?.python;
    if (python !== undefined) {
      const magic = py(python, 'import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())');
      const wrong = entries.filter((e) => e.entryName.endsWith('.pyc')).filter((e) => {
        const head = e.getData().subarray(0, 8);
        return head.subarray(0, 4).toString('hex') !== magic || head.readUInt32LE(4) !== 1;
      });
      t.same(wrong.map((e) => e.entryName), [], `every .pyc has ${minor}'s magic number (${magic}) and the unchecked-hash flag`);
    }

    // Manifest against the dist-info the zip carries (under dist-info/, out of importlib.metadata's sight).
    t.same(entries.filter((e) => /^[^/]+\.(dist|egg)-info\//.test(e.entryName)).map((e) => e.entryName), [], 'no *.dist-info at the zip\'s root');
    const metadata = new Map(entries.filter((e) => /^dist-info\/[^/]+\.dist-info\/METADATA$/.test(e.entryName)).map((e) => {
      const text = e.getData().toString('utf8');
      return [normalize(/^Name: (.+)$/m.exec(text)?.[1] ?? ''), /^Version: (.+)$/m.exec(text)?.[1] ?? ''];
    }));
    const native = Object.keys(manifest.native ?? {});
    t.same(Object.keys(manifest.dists).filter((d) => !native.includes(d)).sort(), [...metadata.keys()].sort(), 'manifest dists = the dist-info in the zip (+ native psutil)');
    t.same(Object.entries(manifest.dists).filter(([d, v]) => !native.includes(d) && metadata.get(d) !== v.version).map(([d]) => d), [], 'versions match METADATA');
    const api = manifest.dists['opentelemetry-api']?.version;
    t.equal(manifest.dists['opentelemetry-sdk']?.requires['opentelemetry-api'], `==${api}`, 'requires: the SDK pins the API it ships with');
    t.same(Object.values(manifest.dists).flatMap((d) => Object.keys(d.requires)).filter((d) => manifest.dists[d] === undefined), [], 'requires name only dists of the payload');
    t.equal(manifest.native?.psutil?.tags.join(','), TAGS.join(','), 'native: psutil for the four platforms');
    const fastapi = manifest.instrumentations.fastapi;
    t.same(fastapi?.modules, ['fastapi'], 'fastapi instrumentation hooks the fastapi module');
    t.match(fastapi?.instruments.fastapi ?? '', /\d/, 'with the version range it instruments');
    t.same(manifest.instrumentations.psycopg2?.modules, ['psycopg2'], 'psycopg2-binary maps to the psycopg2 module');
    const missing = Object.values(manifest.instrumentations).map((i) => i.entry_point.split(':')[0] ?? '').filter((m) =>
      !names.includes(`${m.replace(/\./g, '/')}.pyc`) && !names.includes(`${m.replace(/\./g, '/')}/__init__.pyc`));
    t.same(missing, [], 'every instrumentor module is in the zip');
    t.equal(manifest.entry_points.opentelemetry_instrumentor?.fastapi, fastapi?.entry_point, 'entry points carried over');
    t.notOk('console_scripts' in manifest.entry_points, 'no console_scripts (no bin/ in the payload)');

    if (python !== undefined) {
      // as at run time: OpenTelemetry's entry points from the manifest (the bootstrap's stand-in), then the SDK
      const code = ['import json, sys', 'sys.path.append(sys.argv[1]); sys.path.insert(0, sys.argv[2])',
        'from _otel_injector import entry_points', 'm = json.load(open(sys.argv[3])); entry_points.install(m["entry_points"], m["dists"])',
        'del sys.path[0]', 'import _otel_injector_vendor.opentelemetry.sdk.trace as sdk, wrapt, importlib.metadata as md',
        'plain = [n for n in sys.modules if n.split(".")[0] == "opentelemetry"]',
        'print(sdk.__file__, len(list(md.distributions(path=[sys.argv[1]]))), len(plain))'].join('\n');
      const [file, seen, plain] = py(python, code, join(PY, 'lib', `${tag}.zip`), PY, join(PY, 'lib', `${tag}.json`)).split(' ');
      t.equal(file, join(PY, 'lib', `${tag}.zip`, '_otel_injector_vendor/opentelemetry/sdk/trace/__init__.pyc'), `${minor} imports the (vendored) SDK from the zip with no site-packages`);
      t.equal(plain, '0', 'and no module under the plain name opentelemetry');
      t.equal(seen, '0', 'importlib.metadata sees no dist in the zip (an app\'s entry-point scan does not read ours)');
    }
  });
}

t.test('native/: the extension per platform, the rest shared through relative symlinks', async (t) => {
  const shared = join(PY, 'native', 'manylinux_x86_64', 'psutil');
  t.ok(lstatSync(join(shared, '__init__.py')).isFile() && lstatSync(join(shared, '__pycache__')).isDirectory(), 'manylinux_x86_64 holds the real files');
  const machines = new Map<string, number>();
  for (const tag of TAGS) {
    const so = join(PY, 'native', tag, 'psutil', '_psutil_linux.abi3.so');
    t.ok(lstatSync(so).isFile(), `${tag}: its own extension module`);
    machines.set(tag, readFileSync(so).readUInt16LE(18)); // ELF e_machine
    if (tag === 'manylinux_x86_64') continue;
    for (const f of ['__init__.py', '_pslinux.py', '__pycache__']) {
      const p = join(PY, 'native', tag, 'psutil', f);
      t.ok(lstatSync(p).isSymbolicLink() && !readlinkSync(p).startsWith('/'), `${tag}/psutil/${f} is a relative symlink`);
      t.equal(realpathSync(p), realpathSync(join(shared, f)), `${tag}/psutil/${f} resolves to the shared copy`);
    }
  }
  t.same([...machines].map(([tag, m]) => [tag, m]), [['manylinux_aarch64', 183], ['manylinux_x86_64', 62], ['musllinux_aarch64', 183], ['musllinux_x86_64', 62]], 'ELF machine: aarch64 (183) and x86_64 (62)');
  const pyc = readdirSync(join(shared, '__pycache__'));
  t.same(built.filter((m) => !pyc.includes(`__init__.cpython-${m.replace('.', '')}.pyc`)), [], 'psutil precompiled by every minor');
});

t.test('a missing interpreter is an error naming it, unless --allow-missing-python', { skip: pythons.has(NEWEST) ? false : `no CPython ${NEWEST} here` }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'otel-pybuild-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const newest = pythons.get(NEWEST)?.python;
  // No pyenv, nothing on PATH: only what OTEL_INJECTOR_PYTHONS lists (the newest).
  const missing = MINORS.slice(0, -1).map((m) => m.replace('.', '\\.')).join(', ');
  const env = { ...process.env, PYENV_ROOT: join(out, 'no-pyenv'), PATH: join(out, 'empty-bin'), OTEL_INJECTOR_PYTHONS: newest ?? '' };
  const script = join(ROOT, 'src/runtimes/python/build.mjs');
  const refused = spawnSync(process.execPath, [script, join(out, 'a')], { env, encoding: 'utf8' });
  t.equal(refused.status, 1, 'exit 1');
  t.match(refused.stderr, new RegExp(`no interpreter for CPython ${missing} .*--allow-missing-python`), 'names the missing minors and the flag');
  t.notOk(existsSync(join(out, 'a')), 'nothing built');
  const allowed = spawnSync(process.execPath, [script, join(out, 'b'), '--allow-missing-python'], { env, encoding: 'utf8' });
  t.equal(allowed.status, 0, '--allow-missing-python: exit 0', { stderr: allowed.stderr });
  t.match(allowed.stdout, new RegExp(`WARNING no interpreter for CPython ${missing}`), 'with a warning naming them');
  t.same(readdirSync(join(out, 'b', 'lib')).sort(), [`${cpTag(NEWEST)}.json`, `${cpTag(NEWEST)}.zip`], `and only ${cpTag(NEWEST)}`);
  const bogus = spawnSync(process.execPath, [script, join(out, 'c')], { env: { ...env, OTEL_INJECTOR_PYTHONS: join(out, 'python3.99') }, encoding: 'utf8' });
  t.match(bogus.stderr, /OTEL_INJECTOR_PYTHONS lists .*python3\.99, which does not run/, 'a listed interpreter that does not run is named');
});

t.test('the same interpreter and requirements give the same bytes', { skip: pythons.has(NEWEST) ? false : `no CPython ${NEWEST} here` }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'otel-pybuild-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const python = pythons.get(NEWEST)?.python ?? '';
  const req = join(ROOT, 'src/runtimes/python/payload/requirements', requirementsOf(NEWEST));
  const env = { ...process.env, PIP_CACHE_DIR: join(ROOT, '.cache', 'pip') };
  const files: Buffer[][] = [];
  for (const run of ['1', '2']) {
    const r = spawnSync(python, [BUILD_LIB, 'lib', '--requirements', req, '--out', join(out, run)], { env, encoding: 'utf8' });
    t.equal(r.status, 0, `build ${run}`, { output: r.stdout + r.stderr });
    files.push([`${cpTag(NEWEST)}.zip`, `${cpTag(NEWEST)}.json`].map((f) => readFileSync(join(out, run, f))));
  }
  t.ok(files[0]?.[0]?.equals(files[1]?.[0] ?? Buffer.alloc(0)), `${cpTag(NEWEST)}.zip byte-identical`);
  t.ok(files[0]?.[1]?.equals(files[1]?.[1] ?? Buffer.alloc(0)), `${cpTag(NEWEST)}.json byte-identical`);
});
