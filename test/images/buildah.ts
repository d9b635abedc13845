// Thin wrappers around Debian's buildah for the image tests: install, local base images, build,
// inspect, mount and run (chroot isolation: the host's network, the image's USER unless --user).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  user?: string;
  volumes?: Record<string, string>; // host dir -> container path
  env?: Record<string, string>;
}

export interface ImageConfig {
  User?: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
}

export function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

async function have(cmd: string): Promise<boolean> {
  return (await sh(cmd, ['--version'])).code === 0;
}

/** Installs buildah and busybox-static from Debian's packages when missing; returns why not, or null. */
export async function ensureBuildah(): Promise<string | null> {
  const staticBusybox = existsSync('/bin/busybox') && (await sh('ldd', ['/bin/busybox'])).code !== 0;
  if ((await have('buildah')) && staticBusybox) return null;
  if (process.getuid?.() !== 0 || !(await have('apt-get'))) {
    return 'buildah is not installed and cannot be: needs root and apt-get (Debian/Ubuntu)';
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await sh('apt-get', ['update', '-q', '-o', 'DPkg::Lock::Timeout=600'], env);
  const install = await sh('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', 'buildah', 'busybox-static'], env);
  if (update.code !== 0 || install.code !== 0 || !(await have('buildah'))) {
    return `buildah cannot be installed from Debian's packages: ${(update.stderr + install.stderr).slice(-600)}`;
  }
  return null;
}

/** Local stand-ins for the Dockerfile's base images (see make-bases.sh); returns the build args. */
export async function makeBases(root: string, prefix: string): Promise<Record<string, string>> {
  const out = await must('bash', [join(root, 'test/images/make-bases.sh'), prefix]);
  const args: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(\S+)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) args[m[1]] = m[2];
  }
  return args;
}

export async function build(root: string, target: string, tag: string, args: Record<string, string>): Promise<Result> {
  const flags = Object.entries(args).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
  return sh('buildah', ['bud', '--isolation=chroot', '--pull=never', '--layers', '--force-rm', '--target', target, ...flags, '-t', tag, '-f', join(root, 'Dockerfile'), root]);
}

export async function imageConfig(image: string): Promise<ImageConfig> {
  const info = JSON.parse(await must('buildah', ['inspect', '--type', 'image', image])) as { OCIv1: { config: ImageConfig } };
  return info.OCIv1.config;
}

/** Human size as `buildah images` shows it (what `docker images` users compare with). */
export async function imageSize(image: string): Promise<string> {
  return (await must('buildah', ['images', '--format', '{{.Size}}', image])).trim();
}

/** Layers as a registry would store them (gzip), pushed to an OCI layout dir: digest -> bytes. */
export async function pushedLayers(image: string, dir: string): Promise<Map<string, number>> {
  await must('buildah', ['push', '-q', '--compression-format', 'gzip', image, `oci:${dir}`]);
  const blob = async (digest: string): Promise<unknown> =>
    JSON.parse(await readFile(join(dir, 'blobs/sha256', digest.replace(/^sha256:/, '')), 'utf8'));
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = (await blob(index.manifests[0]?.digest ?? '')) as { layers: { digest: string; size: number }[] };
  return new Map(manifest.layers.map((l) => [l.digest, l.size]));
}

export class Containers {
  private readonly made: string[] = [];

  async from(image: string): Promise<string> {
    const id = (await must('buildah', ['from', '--pull=never', image])).trim();
    this.made.push(id);
    return id;
  }

  /** The image's root filesystem on the host (root only). */
  async mount(image: string): Promise<string> {
    return (await must('buildah', ['mount', await this.from(image)])).trim();
  }

  async run(ctr: string, cmd: string[], opts: RunOptions = {}): Promise<Result> {
    return sh('buildah', ['run', ...runFlags(opts), ctr, '--', ...cmd]);
  }

  start(ctr: string, cmd: string[], opts: RunOptions = {}): ChildProcess {
    return spawn('buildah', ['run', ...runFlags(opts), ctr, '--', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async removeAll(): Promise<void> {
    for (const id of this.made.splice(0)) {
      await sh('buildah', ['umount', id]);
      await sh('buildah', ['rm', id]);
    }
  }
}

function runFlags(opts: RunOptions): string[] {
  const flags = ['--isolation=chroot', '--cap-drop=ALL']; // Pod Security "restricted" drops ALL
  if (opts.user !== undefined) flags.push('--user', opts.user);
  for (const [host, path] of Object.entries(opts.volumes ?? {})) flags.push('-v', `${host}:${path}`);
  for (const [k, v] of Object.entries(opts.env ?? {})) flags.push('--env', `${k}=${v}`);
  return flags;
}
