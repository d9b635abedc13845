#!/usr/bin/env node
// Builds dist/payload/java/ (the Java payload; docs/java.md):
//   otel-injector-javaagent.jar   our pre-check (payload/launcher/, compiled with javac --release 7
//                                 so that a JVM below the agent's floor, Java 8, loads it and gets one line): the jar
//                                 JAVA_TOOL_OPTIONS names; it loads the agent next to it unless the JVM's
//                                 command line already has another -javaagent
//   opentelemetry-javaagent.jar   the upstream agent at the version pinned in payload/agent.json, unmodified
// The jar is downloaded once into the cache shared by every checkout (scripts/cache-dirs.mjs:
// ~/.cache/otel-injector/java/) and checked against the sha256 pinned in payload/agent.json AND the
// checksum the Maven repository publishes for it (<jar>.sha256); a warm build only re-hashes the cached file.
// The pre-check is compiled once per source (key: the launcher sources, MANIFEST.MF, javac's version) into the same
// cache. Needs a JDK (javac and jar from $JAVA_HOME/bin, else from PATH).
// Env OTEL_INJECTOR_MAVEN_REPO: another Maven repository (a mirror) to download from.
// Called by scripts/build-payload.mjs (build(outDir, options)); standalone:
//   node src/runtimes/java/build.mjs [outDir] [--quiet] [--only agent|launcher]
// (outDir: the java/ folder; default dist/payload/java). --only: that jar alone (the Dockerfile fetches and
// checks the agent in a node stage and compiles the pre-check in its JDK stage with the same javac/jar commands).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedCacheDir } from '../../../scripts/cache-dirs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const DEFAULT_REPO = 'https://repo1.maven.org/maven2';

export class BuildError extends Error {}

/** The pin: group, artifact, version, sha256, file (the name in the payload). */
export function readPin() {
  const pin = JSON.parse(readFileSync(join(here, 'payload', 'agent.json'), 'utf8'));
  if (!/^[0-9a-f]{64}$/.test(pin.sha256)) throw new BuildError(`payload/agent.json: sha256 is not 64 hex digits`);
  return pin;
}

export function artifactUrl(pin, repo = process.env.OTEL_INJECTOR_MAVEN_REPO || DEFAULT_REPO) {
  return `${repo.replace(/\/+$/, '')}/${pin.group.replaceAll('.', '/')}/${pin.artifact}/${pin.version}/${pin.artifact}-${pin.version}.jar`;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function download(url, timeoutMs) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new BuildError(`GET ${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * The agent jar in the shared cache (downloaded when missing or not matching the pin); returns its path.
 * A cached file that does not match the pin is never used: it is downloaded again.
 */
export async function cachedAgent({ log = () => {} } = {}) {
  const pin = readPin();
  const dir = sharedCacheDir('java');
  const path = join(dir, `${pin.artifact}-${pin.version}.jar`);
  if (existsSync(path) && sha256(readFileSync(path)) === pin.sha256) return path;
  const url = artifactUrl(pin);
  log(`downloading ${pin.artifact} ${pin.version}`);
  const published = (await download(`${url}.sha256`, 60000)).toString('utf8').trim().split(/\s+/)[0]?.toLowerCase();
  if (published !== pin.sha256) {
    throw new BuildError(`${url}.sha256 is ${published}, payload/agent.json pins ${pin.sha256}: refusing the jar`);
  }
  const jar = await download(url, 600000);
  const got = sha256(jar);
  if (got !== pin.sha256) throw new BuildError(`${url}: sha256 ${got}, expected ${pin.sha256} (pinned and published)`);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, jar);
  renameSync(tmp, path); // atomic: a concurrent build sees the old state or the whole jar
  return path;
}

export const LAUNCHER_FILE = 'otel-injector-javaagent.jar';
const LAUNCHER_SRC = join(here, 'payload', 'launcher');
const LAUNCHER_PACKAGE = join(LAUNCHER_SRC, 'io', 'otelinjector', 'javaagent');
// javac's options for the pre-check, an argument file (`javac @launcher.javac`) that the Dockerfile's JDK stage
// reads too: --release 7 (JDK 9-19's javac; the build images use 17; 20 and newer refuse it, and say so here)
const LAUNCHER_JAVAC = join(here, 'launcher.javac');
/** The pre-check's sources, in a stable order. */
const launcherSources = () => readdirSync(LAUNCHER_PACKAGE).filter((f) => f.endsWith('.java')).sort().map((f) => join(LAUNCHER_PACKAGE, f));

function jdkTool(name) {
  const home = process.env.JAVA_HOME;
  return home && existsSync(join(home, 'bin', name)) ? join(home, 'bin', name) : name;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300000 });
  if (r.error) throw new BuildError(`${cmd}: ${r.error.message} (the Java payload needs a JDK: javac and jar)`);
  if (r.status !== 0) throw new BuildError(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return `${r.stdout}${r.stderr}`.trim();
}

/** The pre-check jar in the shared cache (compiled when this source and javac have no build yet); returns its path. */
export function cachedLauncher({ log = () => {} } = {}) {
  const javac = jdkTool('javac');
  const hash = createHash('sha256');
  for (const file of launcherSources()) hash.update(file.slice(LAUNCHER_PACKAGE.length)).update('\0').update(readFileSync(file)).update('\0');
  const key = hash.update(readFileSync(join(LAUNCHER_SRC, 'MANIFEST.MF'))).update(readFileSync(LAUNCHER_JAVAC)).update(run(javac, ['-version'])).digest('hex').slice(0, 16);
  const path = join(sharedCacheDir('java'), `launcher-${key}.jar`);
  if (existsSync(path)) return path;
  log('compiling the pre-check (payload/launcher)');
  const work = join(tmpdir(), `otel-injector-launcher-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    run(javac, [`@${LAUNCHER_JAVAC}`, '-d', join(work, 'classes'), ...launcherSources()]);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    run(jdkTool('jar'), ['--create', '--file', tmp, '--manifest', join(LAUNCHER_SRC, 'MANIFEST.MF'), '-C', join(work, 'classes'), '.']);
    renameSync(tmp, path);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return path;
}

export const PARTS = Object.freeze(['agent', 'launcher']);

/** Builds the java/ payload folder `out` (replaced): both jars, or only the one named by `only`. */
export async function buildJava(out, { quiet = false, only } = {}) {
  if (only !== undefined && !PARTS.includes(only)) throw new BuildError(`--only ${only}: expected one of ${PARTS.join(', ')}`);
  const log = quiet ? () => {} : (line) => console.error(`build java: ${line}`);
  const pin = readPin();
  const jar = only === 'launcher' ? undefined : await cachedAgent({ log });
  const launcher = only === 'agent' ? undefined : cachedLauncher({ log });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  if (jar !== undefined) {
    copyFileSync(jar, join(out, pin.file));
    log(`${join(out, pin.file)} (${pin.artifact} ${pin.version}, sha256 ${pin.sha256.slice(0, 12)}…)`);
  }
  if (launcher !== undefined) copyFileSync(launcher, join(out, LAUNCHER_FILE));
  return out;
}

/** The build-payload.mjs entry point: the java/ folder `out`. */
export function build(out, options = {}) {
  return buildJava(out, options);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '') : undefined;
  const outArg = args.find((a, i) => !a.startsWith('--') && (onlyAt < 0 || i !== onlyAt + 1));
  const out = outArg ? resolve(outArg) : join(root, 'dist', 'payload', 'java');
  try {
    await buildJava(out, { quiet: args.includes('--quiet'), only });
  } catch (err) {
    console.error(`build java: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
