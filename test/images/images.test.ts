// Builds the Dockerfile's two targets with buildah (local base images passed as build args) and
// runs them the way the kubelet would: the init image's default command into emptyDir-like
// directories as random non-root users, an app loading the copied payload as yet another user
// (a Node app through NODE_OPTIONS, a Python app of each supported minor through PYTHONPATH, JVMs 17 and
// 25 through JAVA_TOOL_OPTIONS (java.ts), each span received over OTLP on loopback), and the webhook
// image's default command answering /healthz over HTTPS.
import t, { type Test } from 'tap';
import { randomInt } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/index.js';
import { copyCommand } from '../../src/inject/init-container.js';
import { ENTRY_FILE } from '../../src/runtimes/node/runtime.js';
import { DEFAULT_RUNTIME_NAMES, RUNTIME_NAMES } from '../../src/runtimes/index.js';
import { Containers, build, ensureBuildah, imageConfig, imageSize, makeBases, pushedLayers, sh } from './buildah.js';
import { exists, freePort, httpsGet, isStaticElf, poll, sameContent, tree, findProcess, tracesOnlyEnv } from './fsutil.js';
import { checkJavaFolder, javaLayer, loadsJavaPayload } from './java.js';
import { startReceiver, type Receiver } from '../support/receiver.mjs';
import { MINORS } from '../../scripts/pythons.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WEBHOOK = 'localhost/otel-injector/webhook:test';
const PAYLOAD = 'localhost/otel-injector/payload:test';
const inject = parseConfig({}, 'test').inject; // the webhook's defaults: mount path, user
const NODE_ENTRY = `node/${ENTRY_FILE}`;
const started = Date.now();
const secs = (from: number): string => `${((Date.now() - from) / 1000).toFixed(1)} s`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const randomUid = (): number => randomInt(20000, 60000);

t.setTimeout(25 * 60 * 1000);

const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
/** The CPython minors the Dockerfile builds a stage for: PYTHON313_IMAGE -> cp313, 3.13. */
const pythons = [...dockerfile.matchAll(/^ARG PYTHON3(\d+)_IMAGE=/gm)].map((m) => ({ arg: `PYTHON3${m[1]}_IMAGE`, tag: `cp3${m[1]}`, minor: `3.${m[1]}` }));
const NATIVE_TAGS = ['manylinux_aarch64', 'manylinux_x86_64', 'musllinux_aarch64', 'musllinux_x86_64'];

void t.test('Dockerfile: every base image is a build arg whose default is pinned by digest', async (t) => {
  const text = dockerfile;
  const args = new Map([...text.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
  const stages = new Set([...text.matchAll(/^FROM \S+ AS (\S+)$/gim)].map((m) => m[1]));
  for (const [, from] of text.matchAll(/^FROM (\S+)/gim)) {
    if (from === 'scratch' || stages.has(from)) continue;
    const arg = /^\$\{(\w+)\}$/.exec(from ?? '')?.[1];
    t.ok(arg !== undefined && args.has(arg), `FROM ${from} is a build arg`);
    t.match(args.get(arg ?? '') ?? '', /^[\w.-]+(\.[\w-]+)+\/[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/, `${arg} default: registry/name:tag@sha256:<64 hex>`);
  }
  t.match(text, /^FROM [^\n]+ AS webhook$/m, 'a webhook target');
  t.match(text, /^FROM [^\n]+ AS payload$/m, 'a payload target');
  for (const name of RUNTIME_NAMES) t.match(text, new RegExp(`^COPY --from=\\S+ \\S+ /otel-payload/${name}/$`, 'm'), `the payload stage copies ${name}/`);
  t.same(pythons.map((p) => p.minor), MINORS, 'one Python build image per supported CPython minor (pythons.json)');
  for (const p of pythons) t.match(text, new RegExp(`^FROM \\$\\{${p.arg}\\} AS python-${p.tag}$`, 'm'), `${p.arg} builds stage python-${p.tag}`);
});

const why = await ensureBuildah();
// The only skip: where buildah cannot be installed (not root, no apt-get, no Debian packages).
await t.test('both images built from the Dockerfile and run', { skip: why ?? false }, main);

async function main(t: Test): Promise<void> {
  const ctrs = new Containers();
  const scratch = await mkdtemp(join(tmpdir(), 'otel-images-'));
  await chmod(scratch, 0o755); // other users must reach the volumes below it
  t.teardown(async () => {
    await ctrs.removeAll();
    await rm(scratch, { recursive: true, force: true });
  });
  t.comment(`buildah ready after ${secs(started)}`);

  const bases = await makeBases(root, 'localhost/otel-injector-test');
  t.same(Object.keys(bases).sort(), ['BUILD_IMAGE', 'BUSYBOX_IMAGE', 'JDK_IMAGE', ...pythons.map((p) => p.arg), 'WEBHOOK_BASE_IMAGE'].sort(), 'local base images made');
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());

  for (const [target, tag] of [['webhook', WEBHOOK], ['payload', PAYLOAD]] as const) {
    const t0 = Date.now();
    const r = await build(root, target, tag, bases);
    t.equal(r.code, 0, `buildah bud --target ${target} succeeds (${secs(t0)})`, { stderr: r.stderr.slice(-3000) });
    if (r.code !== 0) return;
  }

  await t.test('payload image: only a static cp and one folder per runtime, non-root, a command copying them all', async (t) => {
    const cfg = await imageConfig(PAYLOAD);
    t.equal(cfg.User, `${inject.initRunAsUser}:${inject.initRunAsUser}`, 'numeric non-root USER');
    t.same(cfg.Cmd, copyCommand(RUNTIME_NAMES, inject), 'CMD is the webhook default command for a pod that gets every runtime');
    const fs = await ctrs.mount(PAYLOAD);
    const all = await tree(fs);
    const top = [...all.keys()].filter((k) => !k.includes('/'));
    t.same(top.sort(), ['bin', 'otel-payload'], 'top level holds only bin and otel-payload');
    t.same([...all.keys()].filter((k) => /^otel-payload\/[^/]+$/.test(k)).sort(), RUNTIME_NAMES.map((n) => `otel-payload/${n}`).sort(), 'otel-payload/ holds one folder per runtime of the registry');
    t.same([...all.keys()].filter((k) => k.startsWith('bin/')), ['bin/cp'], 'bin holds only cp');
    t.ok(await isStaticElf(join(fs, 'bin/cp')), '/bin/cp is a static ELF binary');
    t.ok(all.has(`otel-payload/${NODE_ENTRY}`), `otel-payload/${NODE_ENTRY} present`);
    const py = [...all.keys()].filter((k) => k.startsWith('otel-payload/python/'));
    const want = ['sitecustomize.py', '_otel_injector/__init__.py', ...pythons.flatMap((p) => [`lib/${p.tag}.zip`, `lib/${p.tag}.json`]),
      ...NATIVE_TAGS.map((tag) => `native/${tag}/psutil/__init__.py`)];
    t.same(want.filter((f) => !all.has(`otel-payload/python/${f}`)), [], 'python/: the bootstrap, a zip and a manifest per CPython minor, psutil per platform');
    t.same(py.filter((k) => /\/(python3?(\.\d+)?|pip3?)$|\.(whl|tar\.gz)$/.test(k)), [], 'no interpreter, pip or wheel in python/');
    t.same(py.filter((k) => k.includes('__pycache__') && !/^otel-payload\/python\/(native\/\w+\/psutil\/|_otel_injector\/)?__pycache__/.test(k)), [], '__pycache__ only for what ships as source (psutil, the bootstrap)');
    t.same(pythons.filter((p) => !all.has(`otel-payload/python/__pycache__/sitecustomize.cpython-${p.tag.slice(2)}.pyc`)).map((p) => p.minor), [], 'sitecustomize precompiled by every minor');
    const pyc = (tag: string): string => `otel-payload/python/native/manylinux_x86_64/psutil/__pycache__/__init__.cpython-${tag.slice(2)}.pyc`;
    t.same(pythons.filter((p) => !all.has(pyc(p.tag))).map((p) => p.minor), [], 'psutil precompiled by every minor');
    t.comment(`python/: ${py.filter((k) => all.get(k)?.kind === 'file').length} files, ${mb(py.reduce((n, k) => n + (all.get(k)?.size ?? 0), 0))}`);
    await checkJavaFolder(t, fs, all);
    const unreadable = [...all].filter(([k, e]) => k.startsWith('otel-payload/') && (e.mode & (e.kind === 'dir' ? 0o005 : 0o004)) === 0);
    t.same(unreadable.map(([k]) => k), [], 'every payload file is readable by any user');
  });

  await t.test('init command copies into emptyDir-like volumes as non-root users', async (t) => {
    const fs = await ctrs.mount(PAYLOAD);
    const want = await tree(join(fs, 'otel-payload'));
    const ctr = await ctrs.from(PAYLOAD);
    const cmd = (await imageConfig(PAYLOAD)).Cmd ?? [];
    const fsGroup = randomUid();
    const cases = [
      { name: 'emptyDir 0777 root-owned, random uid', owner: [0, 0], mode: 0o777, uid: randomUid() },
      { name: 'emptyDir with fsGroup (2777 root:fsGroup), random uid', owner: [0, fsGroup], mode: 0o2777, uid: randomUid() },
      { name: "emptyDir 0777 root-owned, the image's own USER", owner: [0, 0], mode: 0o777, uid: undefined },
    ];
    for (const c of cases) {
      const vol = join(scratch, `vol-${c.uid ?? 'image-user'}-${c.mode.toString(8)}`);
      await mkdir(vol);
      await chown(vol, c.owner[0] ?? 0, c.owner[1] ?? 0);
      await chmod(vol, c.mode);
      const user = c.uid === undefined ? undefined : `${c.uid}:${c.uid}`;
      const r = await ctrs.run(ctr, cmd, { user, volumes: { [vol]: inject.mountPath } });
      t.equal(r.code, 0, `${c.name}: exit 0`, { stderr: r.stderr });
      t.notMatch(r.stderr, /cp:/, `${c.name}: cp printed no error or warning`);
      const got = await tree(vol);
      t.same(sameContent(want, got), [], `${c.name}: every file landed, byte sizes equal`);
      const owner = c.uid ?? inject.initRunAsUser;
      t.same([...got.values()].filter((e) => e.uid !== owner), [], `${c.name}: files owned by uid ${owner}`);
      t.equal(((await stat(vol)).mode & 0o7777).toString(8), c.mode.toString(8), `${c.name}: volume mode untouched`);
      await loadsPreload(t, ctrs, bases['WEBHOOK_BASE_IMAGE'] ?? '', vol, c === cases[0]);
      // Every minor once; then the newest for the other volumes.
      for (const p of c === cases[0] ? pythons : pythons.slice(-1)) await loadsPythonPayload(t, ctrs, bases[p.arg] ?? '', p.minor, vol, receiver);
      if (c === cases[0]) await loadsJavaPayload(t, ctrs, bases['JDK_IMAGE'] ?? '', vol, scratch, inject, receiver);
    }
    // Control: a directory the user may not write proves the copies above ran without root powers.
    const closed = join(scratch, 'closed');
    await mkdir(closed, { mode: 0o755 });
    const denied = await ctrs.run(ctr, cmd, { user: `${randomUid()}:0`, volumes: { [closed]: inject.mountPath } });
    t.not(denied.code, 0, 'control: a root-owned 0755 directory refuses the non-root copy');
    // What the webhook runs for a pod that gets some runtimes (one each; node and python, java off): those
    // folders only (a pod pays for what it gets: no 25 MB java/ in a node/python pod).
    for (const names of [...RUNTIME_NAMES.map((name) => [name]), DEFAULT_RUNTIME_NAMES]) {
      const vol = join(scratch, `only-${names.join('-')}`);
      await mkdir(vol, { mode: 0o777 });
      await chmod(vol, 0o777);
      const r = await ctrs.run(ctr, copyCommand(names, inject), { user: `${randomUid()}:${randomUid()}`, volumes: { [vol]: inject.mountPath } });
      t.equal(r.code, 0, `copy command for a ${names.join('+')} pod: exit 0`, { stderr: r.stderr });
      t.same([...(await tree(vol)).keys()].filter((k) => !k.includes('/')).sort(), [...names].sort(), `a ${names.join('+')} pod's volume holds ${names.join('/, ')}/ only`);
    }
  });

  await t.test('webhook image: non-root, no shell, production dependencies only', async (t) => {
    const cfg = await imageConfig(WEBHOOK);
    t.match(cfg.User ?? '', /^[1-9]\d*:\d+$/, `numeric non-root USER (${cfg.User})`);
    t.ok(cfg.Env?.includes('NODE_ENV=production'), 'NODE_ENV=production');
    const fs = await ctrs.mount(WEBHOOK);
    for (const shell of ['bin/sh', 'bin/bash', 'bin/busybox', 'usr/bin/sh', 'bin/ash']) {
      t.notOk(await exists(join(fs, shell)), `no /${shell}`);
    }
    t.ok(await exists(join(fs, 'app/dist/main.js')), '/app/dist/main.js present');
    t.notOk(await exists(join(fs, 'app/dist/payload')), 'no payload in the webhook image');
    const pkg = JSON.parse(await readFile(join(fs, 'app/package.json'), 'utf8')) as { type?: string };
    t.equal(pkg.type, 'module', 'package.json with "type": "module" next to dist');
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const wrong: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      if (!path.startsWith('node_modules/') || p.optional === true || p.devOptional === true) continue;
      const present = await exists(join(fs, 'app', path));
      if (p.dev === true && present) wrong.push(`dev package shipped: ${path}`);
      if (p.dev !== true && !present) wrong.push(`production package missing: ${path}`);
    }
    t.same(wrong, [], 'node_modules is exactly the lock file production tree');
  });

  await t.test('webhook image default command serves /healthz over HTTPS as non-root', async (t) => {
    const cfg = await imageConfig(WEBHOOK);
    const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DRAIN_SECONDS: '1' };
    const t0 = Date.now();
    const child = ctrs.start(await ctrs.from(WEBHOOK), argv, { env });
    let logs = '';
    child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    let pid: number | undefined;
    try {
      const answer = await poll(() => httpsGet(port, '/healthz'), 60_000);
      t.equal(answer.status, 200, `GET /healthz -> 200 after ${secs(t0)}`, { logs });
      t.match(answer.subjectAltName, /IP Address:127\.0\.0\.1/, 'ephemeral self-signed certificate covers 127.0.0.1');
      const proc = await findProcess(argv, `PORT=${port}`);
      t.equal(proc?.uid, Number((cfg.User ?? '').split(':')[0]), 'server process runs as the image USER');
      // What the runtime does on pod deletion: SIGTERM to the container's process itself.
      pid = proc?.pid;
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
    } finally {
      setTimeout(() => child.kill('SIGTERM'), 15_000).unref();
    }
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 20_000))]);
    t.equal(code, 0, 'SIGTERM to the server: drains and exits 0', { logs: logs.slice(-3000) });
    if (code === 'timeout') {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });

  await t.test('image sizes', async (t) => {
    const base = bases['WEBHOOK_BASE_IMAGE'] ?? '';
    await mkdir(join(scratch, 'oci'));
    const layers = async (image: string, name: string): Promise<Map<string, number>> => pushedLayers(image, join(scratch, 'oci', name));
    const baseLayers = await layers(base, 'base');
    const own = [...(await layers(WEBHOOK, 'webhook'))].filter(([d]) => !baseLayers.has(d)).reduce((n, [, b]) => n + b, 0);
    const { java, rest } = javaLayer(t, [...(await layers(PAYLOAD, 'payload')).values()]);
    t.comment(`webhook image: ${await imageSize(WEBHOOK)} on disk (local node base ${await imageSize(base)}); its own layers ${mb(own)} gzip`);
    t.comment(`payload image: ${await imageSize(PAYLOAD)} on disk; ${mb(rest + java)} gzip: ${mb(rest)} without java/, java/ ${mb(java)}`);
    t.ok(own < 40e6, `webhook layers on top of the node base stay under 40 MB gzip (${mb(own)})`);
    // Without java/ 9.6 MB measured (busybox + Node ~1.5 MB, Python ~8.1 MB): fails when it grows by about a third.
    t.ok(rest < 12e6, `payload image without java/ (Node + Python for five CPython minors) stays under 12 MB gzip (${mb(rest)})`);
  });

  t.comment(`images test total ${secs(started)}`);
}

/** An app container (another uid, the volume at the mount path) starts with the copied Node payload. */
async function loadsPreload(t: Test, ctrs: Containers, appBase: string, vol: string, onHostToo: boolean): Promise<void> {
  const file = join(inject.mountPath, NODE_ENTRY);
  const app = await ctrs.from(appBase);
  const env = {
    NODE_OPTIONS: `--require ${file}`,
    OTEL_SERVICE_NAME: 'images-test',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
  };
  // 3: the copied file was not loaded; 4: loaded, but no OpenTelemetry SDK registered its global API
  const probe = `const api = globalThis[Symbol.for('opentelemetry.js.api.1')];
    process.exit(!require.cache[${JSON.stringify(file)}] ? 3 : api?.trace === undefined ? 4 : 0)`;
  const r = await ctrs.run(app, ['/nodejs/bin/node', '-e', probe], { user: `${randomUid()}:${randomUid()}`, volumes: { [vol]: inject.mountPath }, env });
  t.equal(r.code, 0, `app as another uid: NODE_OPTIONS=--require ${file} loads, the SDK registers, exit 0`, { stderr: r.stderr });
  if (!onHostToo) return;
  const t0 = Date.now();
  const host = await sh('setpriv', ['--reuid', String(randomUid()), '--regid', String(randomUid()), '--clear-groups', process.execPath, '--require', join(vol, NODE_ENTRY), '-e', '0'], { ...process.env, ...env, NODE_OPTIONS: '' });
  t.equal(host.code, 0, `host node --require <copied>/${NODE_ENTRY} -e 0 exits 0 (after ${secs(t0)}, collector unreachable)`, { stderr: host.stderr });
}

/**
 * A Python app container (stand-in for python:3.X-slim: interpreter and pip, no OpenTelemetry; yet
 * another uid; the volume at the mount path) started with the webhook's PYTHONPATH: our sitecustomize
 * is the one imported, the app's own `import opentelemetry` finds nothing (ours is vendored under a private
 * name in the copied lib/cp3X.zip), a span made through our vendored API records (our SDK is set up) and
 * reaches the receiver on loopback.
 */
async function loadsPythonPayload(t: Test, ctrs: Containers, appBase: string, minor: string, vol: string, receiver: Receiver): Promise<void> {
  const mount = inject.mountPath;
  const uid = randomUid();
  const service = `images-python-${minor}-${uid}`;
  // exit 3: another sitecustomize (or none); 4: a plain `opentelemetry` importable, or ours not from our zip; 5: no SDK
  // (the span does not record)
  const probe = [
    'import sys',
    'mount = sys.argv[1]',
    'site = sys.modules.get("sitecustomize")',
    'if getattr(site, "__file__", None) != mount + "/python/sitecustomize.py": sys.exit(3)',
    'import importlib.util',
    'if importlib.util.find_spec("opentelemetry") is not None: sys.exit(4)',
    'from _otel_injector_vendor.opentelemetry import trace',
    'if not trace.__file__.startswith(mount + "/python/lib/cp%d%d.zip/" % sys.version_info[:2]): sys.exit(4)',
    'with trace.get_tracer("images-test").start_as_current_span("images-probe") as span:',
    '    if not (span.is_recording() and span.get_span_context().is_valid): sys.exit(5)',
  ].join('\n');
  const env = { PYTHONPATH: `${mount}/python`, ...tracesOnlyEnv(service, receiver.url) };
  const app = await ctrs.from(appBase);
  const t0 = Date.now();
  const r = await ctrs.run(app, ['python3', '-c', probe, mount], { user: `${uid}:${randomUid()}`, volumes: { [vol]: mount }, env });
  t.equal(r.code, 0, `python ${minor} app as uid ${uid}: PYTHONPATH=${mount}/python runs our sitecustomize, OpenTelemetry from lib/cp${minor.replace('.', '')}.zip, no plain opentelemetry importable, its span through our vendored API records (${secs(t0)})`, { stderr: r.stderr });
  const got = await receiver.waitFor((s) => s.spans.some((sp) => sp.resource['service.name'] === service), 15_000).catch(() => receiver);
  const span = got.spans.find((sp) => sp.resource['service.name'] === service);
  t.equal(span?.name, 'images-probe', `python ${minor}: the app's span reached the receiver (service.name ${service})`, { stderr: r.stderr });
  t.equal(span?.resource['telemetry.sdk.language'], 'python', `python ${minor}: resource says telemetry.sdk.language=python`);
}
