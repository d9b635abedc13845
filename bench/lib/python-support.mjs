// What the Python payload benchmarks share (bench/python.mjs, bench/lib/python-gunicorn.mjs): cached
// folders and virtualenvs, the three modes' environments, a local OTLP receiver, /proc CPU readings.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedCacheDir } from '../../scripts/cache-dirs.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const ours = join(root, 'dist/payload/python');
export const cache = join(root, '.cache', 'bench-python');
export const APP_DIR = join(root, 'bench/apps');
export const MODES = ['none', 'ours', 'official'];
export const cpTag = (minor) => `cp${minor.replace('.', '')}`;
export const sha = (s) => createHash('sha256').update(s).digest('hex').slice(0, 12);
export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
export const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
export const goal = (ok) => (ok ? 'goal met' : 'GOAL MISSED');
/** Alternating order: none, ours, official in even rounds, the reverse in odd ones. */
export const order = (round) => (round % 2 ? [...MODES].reverse() : MODES);

export function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_CACHE_DIR: sharedCacheDir('pip') }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what}: ${cmd} ${args.join(' ')} exited ${r.status}\n${(r.stdout + r.stderr).slice(-3000)}`);
  return r.stdout;
}

/** A directory built once per key: build(tmpDir) fills it, then it is renamed into place. */
export function cached(dir, build) {
  if (existsSync(join(dir, '.done'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  build(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  mkdirSync(join(dir, '.done'));
  return dir;
}

/** A virtualenv of `py` with exactly `pins` (binary wheels), cached by name, pins and interpreter; returns its python. */
export function venv(py, name, pins) {
  const dir = join(cache, `${name}-${cpTag(py.minor)}-${sha(pins.join(' ') + py.full)}`);
  // A venv cannot be moved after creation (absolute paths): create it in place.
  if (!existsSync(join(dir, '.done'))) {
    rmSync(dir, { recursive: true, force: true });
    run(py.python, ['-m', 'venv', dir], `${name} venv`);
    run(join(dir, 'bin/python'), ['-m', 'pip', 'install', '--quiet', '--only-binary=:all:', ...pins], `${name} venv`);
    mkdirSync(join(dir, '.done'));
  }
  return join(dir, 'bin/python');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** GET / on a fresh connection: { status, body } (status 0 when nothing answered within 1 s). */
export function get(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 1000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => { req.destroy(); resolve({ status: 0, body: '' }); });
    req.end();
  });
}

export function startReceiver() {
  const child = spawn(process.execPath, [join(root, 'test/support/receiver.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  /** Stops it; resolves with its last report ({ spans, requests, errors, … }: export requests it received). */
  const close = () => new Promise((resolve) => {
    child.once('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}')));
    child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, close, url: `http://127.0.0.1:${JSON.parse(String(d).split('\n')[0]).port}` })));
}

export function modeEnv(mode, receiverUrl, officialPath) {
  const env = {
    ...process.env, OTEL_SERVICE_NAME: 'bench-python', OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp', OTEL_PROPAGATORS: 'tracecontext,baggage',
    OTEL_RESOURCE_ATTRIBUTES: 'k8s.namespace.name=bench,k8s.pod.name=bench-0,k8s.container.name=app,service.instance.id=bench.bench-0.app',
    // The official route exports logs only with this switch; on for both, so both do the same work.
    OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED: 'true',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  delete env.PYTHONPATH;
  if (mode === 'ours') env.PYTHONPATH = ours;
  if (mode === 'official') env.PYTHONPATH = `${join(officialPath, 'opentelemetry/instrumentation/auto_instrumentation')}:${officialPath}`;
  return env;
}

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
/** CPU time (user + system, all threads) the process has used so far: on a loaded machine the wall
 * time to the first request grows with the load, the CPU time it took does not. */
export function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
