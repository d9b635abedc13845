// Images for the node e2e suite, all built here with buildah (no registry is reachable):
//   pause    the sandbox image, from build/pause/linux/pause.c in the k8s.io/kubernetes module zip (gcc -static)
//   preload  the project's init image, the Dockerfile's `preload` target (same tooling as test/images)
//   app      test/node-e2e/app on the distroless-node stand-in base (make-bases.sh)
// Each is pushed once per image ID to an oci-archive in the cache, which the suite imports into containerd.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ensureBuildah, makeBases, sh } from '../images/buildah.js';
import { cacheDir, repoRoot } from '../e2e/harness.js';

export const KUBERNETES_VERSION = 'v1.34.4';
const PREFIX = 'localhost/otel-injector-node-e2e';
export const PAUSE_IMAGE = `${PREFIX}/pause:3.10-${KUBERNETES_VERSION}`;
export const PRELOAD_IMAGE = `${PREFIX}/preload:dev`;
export const APP_IMAGE = `${PREFIX}/node-app:dev`;

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

async function gomodcache(): Promise<string> {
  return (await must('go', ['env', 'GOMODCACHE'])).trim();
}

async function buildPause(): Promise<void> {
  if ((await imageId(PAUSE_IMAGE)) !== null) return;
  const src = join(await gomodcache(), `k8s.io/kubernetes@${KUBERNETES_VERSION}`, 'build/pause/linux/pause.c');
  if (!existsSync(src)) throw new Error(`${src} missing: run test/node-e2e/build-node.sh (it downloads the module)`);
  const work = await mkdtemp(join(tmpdir(), 'otel-node-pause-'));
  try {
    await must('gcc', ['-static', '-Os', '-Wall', '-DVERSION=3.10', '-o', join(work, 'pause'), src]);
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

async function buildApp(bases: Record<string, string>): Promise<void> {
  const dir = join(repoRoot, 'test/node-e2e/app');
  await must('buildah', [
    'bud', '--isolation=chroot', '--pull=never', '--layers', '--force-rm',
    '--build-arg', `BASE_IMAGE=${bases.WEBHOOK_BASE_IMAGE ?? ''}`,
    '-t', APP_IMAGE, '-f', join(dir, 'Containerfile'), dir,
  ]);
}

async function archive(ref: string): Promise<BuiltImage> {
  const id = await imageId(ref);
  if (id === null) throw new Error(`image ${ref} was not built`);
  const dir = join(cacheDir, 'images');
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

/** Builds (or finds up to date, via buildah's layer cache) the three images; returns their archives. */
export async function buildImages(): Promise<{ pause: BuiltImage; preload: BuiltImage; app: BuiltImage }> {
  const why = await ensureBuildah();
  if (why !== null) throw new Error(why);
  const bases = await makeBases(repoRoot, 'localhost/otel-injector-test');
  await buildPause();
  const r = await build(repoRoot, 'preload', PRELOAD_IMAGE, bases);
  if (r.code !== 0) throw new Error(`buildah bud --target preload failed: ${r.stderr.slice(-3000)}`);
  await buildApp(bases);
  return { pause: await archive(PAUSE_IMAGE), preload: await archive(PRELOAD_IMAGE), app: await archive(APP_IMAGE) };
}
