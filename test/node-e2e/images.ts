// Images for the node e2e suite, all built here with buildah (no registry is reachable):
//   pause    the sandbox image, from build/pause/linux/pause.c in the k8s.io/kubernetes module zip (gcc -static)
//   payload  the project's init image, the Dockerfile's `payload` target (same tooling as test/images)
//   app      test/node-e2e/app on the distroless-node stand-in base (make-bases.sh)
//   pyapp    test/node-e2e/pyapp (FastAPI on uvicorn, pinned wheels from PyPI) on the python:3.12 stand-in base
// Each is pushed once per image ID to an oci-archive in the cache, which the suite imports into containerd.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { build, ensureBuildah, makeBases, sh } from '../images/buildah.js';
import { repoRoot } from '../e2e/harness.js';
import { KUBERNETES_VERSION } from '../e2e/versions.js';

export { KUBERNETES_VERSION };
const PREFIX = 'localhost/otel-injector-node-e2e';
/** build/pause/Makefile's TAG at that Kubernetes version */
const PAUSE_VERSION = '3.10.2';
export const PAUSE_IMAGE = `${PREFIX}/pause:${PAUSE_VERSION}-${KUBERNETES_VERSION}`;
/** In the clone, unlike the Go binaries: an archive is replaced when its image changes, which must never pull
 * one from under another clone's run on the same machine. */
const IMAGE_DIR = join(repoRoot, '.cache', 'e2e', 'images');
export const PAYLOAD_IMAGE = `${PREFIX}/payload:dev`;
export const APP_IMAGE = `${PREFIX}/node-app:dev`;
export const PY_APP_IMAGE = `${PREFIX}/python-app:dev`;

export interface BuiltImage {
  readonly ref: string;
  readonly id: string;
  readonly archive: string;
}

async function must(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await sh(cmd, args, undefined, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-3000)}`);
  return r.stdout;
}

async function imageId(ref: string): Promise<string | null> {
  const r = await sh('buildah', ['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The k8s.io/kubernetes module's folder in the Go module cache (downloaded when missing). */
async function kubernetesModule(): Promise<string> {
  const env = { ...process.env, GOFLAGS: '', GOWORK: 'off', GOTOOLCHAIN: 'local' };
  const r = await sh('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_VERSION}`], env, tmpdir());
  const dir = r.code === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
  if (dir === undefined) throw new Error(`go mod download k8s.io/kubernetes@${KUBERNETES_VERSION} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return dir;
}

async function buildPause(): Promise<void> {
  if ((await imageId(PAUSE_IMAGE)) !== null) return;
  const src = join(await kubernetesModule(), 'build/pause/linux/pause.c');
  if (!existsSync(src)) throw new Error(`${src} missing`);
  const work = await mkdtemp(join(tmpdir(), 'otel-node-pause-'));
  try {
    await must('gcc', ['-static', '-Os', '-Wall', `-DVERSION=${PAUSE_VERSION}`, '-o', join(work, 'pause'), src]);
    await must('strip', [join(work, 'pause')]);
    const ctr = (await must('buildah', ['from', 'scratch'])).trim();
    await must('buildah', ['copy', '--chmod', '0755', ctr, join(work, 'pause'), '/pause']);
    await must('buildah', ['config', '--entrypoint', '["/pause"]', '--user', '65535:65535', ctr]);
    await must('buildah', ['commit', '-q', ctr, PAUSE_IMAGE]);
    await must('buildah', ['rm', ctr]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The host's libgcc_s.so.1: python:3.X-slim has it (Debian's libgcc-s1), the stand-in base does not; pydantic_core links it. */
async function libgcc(): Promise<string> {
  const line = (await must('ldconfig', ['-p'])).split('\n').find((l) => /^\s*libgcc_s\.so\.1 .*=> \//.test(l));
  const path = line?.split('=> ')[1]?.trim();
  if (path === undefined) throw new Error('libgcc_s.so.1 not found on the host (ldconfig -p): install libgcc-s1');
  return path;
}

async function buildApp(folder: string, base: string | undefined, tag: string, extraFiles: string[] = []): Promise<void> {
  if (base === undefined) throw new Error(`no base image for ${folder} from make-bases.sh`);
  const src = join(repoRoot, 'test/node-e2e', folder);
  const dir = await mkdtemp(join(tmpdir(), `otel-node-${folder}-`));
  try {
    await cp(src, dir, { recursive: true });
    for (const f of extraFiles) await cp(f, join(dir, basename(f)), { dereference: true });
    await must('buildah', [
      'bud', '--isolation=chroot', '--pull=never', '--layers', '--force-rm',
      '--build-arg', `BASE_IMAGE=${base}`,
      ...(extraFiles.length > 0 ? ['--build-arg', `LIB_DIR=${dirname(extraFiles[0] ?? '')}`] : []),
      '-t', tag, '-f', join(dir, 'Containerfile'), dir,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The image pushed once per image ID to an oci-archive in the cache (what startNode imports). */
export async function archive(ref: string): Promise<BuiltImage> {
  const id = await imageId(ref);
  if (id === null) throw new Error(`image ${ref} was not built`);
  const dir = IMAGE_DIR;
  await mkdir(dir, { recursive: true });
  const name = ref.split('/').pop()?.replace(/[^\w.-]/g, '_') ?? 'image';
  const file = join(dir, `${name}-${id.slice(0, 16)}.tar`);
  if (!existsSync(file)) {
    await must('buildah', ['push', '-q', ref, `oci-archive:${file}.tmp:${ref}`]);
    await must('mv', ['-f', `${file}.tmp`, file]);
    for (const old of await readdir(dir)) if (old.startsWith(`${name}-`) && join(dir, old) !== file) await rm(join(dir, old), { force: true });
  }
  return { ref, id, archive: file };
}

/** Builds (or finds up to date, via buildah's layer cache) the four images; returns their archives. */
export async function buildImages(): Promise<{ pause: BuiltImage; payload: BuiltImage; app: BuiltImage; pyApp: BuiltImage }> {
  const why = await ensureBuildah();
  if (why !== null) throw new Error(why);
  const bases = await makeBases(repoRoot, 'localhost/otel-injector-test');
  await buildPause();
  const r = await build(repoRoot, 'payload', PAYLOAD_IMAGE, bases);
  if (r.code !== 0) throw new Error(`buildah bud --target payload failed: ${r.stderr.slice(-3000)}`);
  await buildApp('app', bases.WEBHOOK_BASE_IMAGE, APP_IMAGE);
  await buildApp('pyapp', bases.PYTHON312_IMAGE, PY_APP_IMAGE, [await libgcc()]);
  return { pause: await archive(PAUSE_IMAGE), payload: await archive(PAYLOAD_IMAGE), app: await archive(APP_IMAGE), pyApp: await archive(PY_APP_IMAGE) };
}
