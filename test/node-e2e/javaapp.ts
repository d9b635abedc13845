// The node suite's Java app image (java.test.ts): javaapp/Containerfile on the JDK 17 stand-in base
// (make-bases.sh) with the Javalin test app as Maven built it into the shared cache
// (src/runtimes/java/test/support/apps.ts: ~/.cache/otel-injector/java-apps/javalin-<hash>/target).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtApp } from '../../src/runtimes/java/test/support/apps.js';
import { makeBases, sh } from '../images/buildah.js';
import { repoRoot } from '../e2e/harness.js';
import { archive, type BuiltImage } from './images.js';

export const JAVA_APP_IMAGE = 'localhost/otel-injector-node-e2e/java-app:dev';

/** Builds (buildah's layer cache makes a rebuild of the same jars a hit) and archives the Java app image. */
export async function buildJavaApp(): Promise<BuiltImage> {
  const [app, bases] = await Promise.all([builtApp('javalin'), makeBases(repoRoot, 'localhost/otel-injector-test')]);
  const base = bases.JDK_IMAGE;
  if (base === undefined) throw new Error('make-bases.sh made no JDK_IMAGE (a JDK 17 at /usr/lib/jvm/java-17-openjdk-amd64 is needed)');
  const dir = await mkdtemp(join(tmpdir(), 'otel-node-javaapp-'));
  try {
    await cp(join(repoRoot, 'test/node-e2e/javaapp/Containerfile'), join(dir, 'Containerfile'));
    await cp(join(app, 'target', 'classes'), join(dir, 'classes'), { recursive: true });
    await cp(join(app, 'target', 'lib'), join(dir, 'lib'), { recursive: true });
    const r = await sh('buildah', ['bud', '--isolation=chroot', '--pull=never', '--layers', '--force-rm', '--build-arg', `BASE_IMAGE=${base}`,
      '-t', JAVA_APP_IMAGE, '-f', join(dir, 'Containerfile'), dir]);
    if (r.code !== 0) throw new Error(`buildah bud javaapp: ${r.stderr.slice(-3000)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return archive(JAVA_APP_IMAGE);
}
