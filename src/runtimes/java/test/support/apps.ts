// The Java test apps (../apps/<name>/, Maven projects), built once per content into the cache shared by
// every checkout (~/.cache/otel-injector/java-apps/<name>-<hash of pom.xml and sources>/), with Maven's
// local repository there too (~/.cache/otel-injector/m2): a fresh clone (CI) copies nothing and builds
// nothing when an earlier run built the same sources. Built with `nice -n 10`, bounded in time.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedCacheDir } from '../../../../../scripts/cache-dirs.mjs';
import { withLock } from '../../../python/test/support/paths.js';
import { runToEnd } from '../../../python/test/support/proc.js';

export const APPS = join(dirname(fileURLToPath(import.meta.url)), '..', 'apps');
export const ROOT = join(APPS, '..', '..', '..', '..', '..');
export const AGENT_JAR = join(ROOT, 'dist', 'payload', 'java', 'opentelemetry-javaagent.jar');
export const M2 = sharedCacheDir('m2');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'target') return [];
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** sha256 over the app's pom.xml and sources (paths and contents): the cache key. */
export function sourceKey(app: string): string {
  const dir = join(APPS, app);
  const hash = createHash('sha256');
  for (const file of files(dir).sort()) hash.update(relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** The built app's directory (`target/` inside it), building it first when the cache has no build of these sources. */
export async function builtApp(app: string): Promise<string> {
  const dir = sharedCacheDir(join('java-apps', `${app}-${sourceKey(app)}`));
  const done = (): boolean => existsSync(join(dir, 'target', '.built'));
  if (done()) return dir;
  await withLock(`java-app-${app}`, async () => {
    if (done()) return;
    const work = `${dir}.${process.pid}.tmp`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(dirname(work), { recursive: true });
    cpSync(join(APPS, app), work, { recursive: true, filter: (src) => !src.split('/').includes('target') });
    await runToEnd('nice', ['-n', '10', 'mvn', '-B', '-q', `-Dmaven.repo.local=${M2}`, '-DskipTests', 'package'], { cwd: work, timeoutMs: 900000 });
    await runToEnd('touch', [join(work, 'target', '.built')]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  }, 1200000);
  return dir;
}
