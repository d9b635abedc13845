// The Java part of the images test: what the payload image's java/ folder holds (the pinned upstream agent,
// hash checked, and our pre-check), and JVMs loading the copied folder through JAVA_TOOL_OPTIONS exactly as
// the webhook writes it, as random non-root users: this machine's JDK 17 inside the JDK stand-in image
// (make-bases.sh, what eclipse-temurin:17-jdk stands for) and Temurin 25 on the host, each making one HTTP
// client call (HttpURLConnection, instrumented by the agent) whose span must reach the receiver on loopback.
import type { Test } from 'tap';
import { createHash, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InjectConfig } from '../../src/config/index.js';
import { AGENT_FILE, LAUNCHER_FILE, javaagentFlag } from '../../src/runtimes/java/runtime.js';
import { cachedLauncher, readPin } from '../../src/runtimes/java/build.mjs';
import type { Receiver } from '../support/receiver.mjs';
import { type Containers, sh } from './buildah.js';
import { tracesOnlyEnv, type Entry } from './fsutil.js';

const TEMURIN_25 = '/usr/lib/jvm/temurin-25-jdk-amd64/bin/java';
const HOST_JAVAC = '/usr/lib/jvm/java-17-openjdk-amd64/bin/javac';
const CLIENT = 3;
const randomUid = (): number => randomInt(20000, 60000);
const secs = (from: number): string => `${((Date.now() - from) / 1000).toFixed(1)} s`;

/** java/ in the payload image: exactly the upstream agent at the pinned sha256 and the pre-check. */
export async function checkJavaFolder(t: Test, fs: string, all: Map<string, Entry>): Promise<void> {
  const pin = readPin();
  const files = [...all.keys()].filter((k) => k.startsWith('otel-payload/java/')).map((k) => k.slice('otel-payload/java/'.length));
  t.same(files.sort(), [AGENT_FILE, LAUNCHER_FILE].sort(), 'java/: the upstream agent and our pre-check, nothing else');
  const agent = await readFile(join(fs, 'otel-payload/java', AGENT_FILE));
  t.equal(createHash('sha256').update(agent).digest('hex'), pin.sha256, `java/${AGENT_FILE} is ${pin.artifact} ${pin.version} (sha256 pinned in payload/agent.json)`);
  const launcher = await readFile(join(fs, 'otel-payload/java', LAUNCHER_FILE));
  t.ok(launcher.length > 500 && launcher.length < 100_000 && launcher.readUInt32BE(0) === 0x504b0304, `java/${LAUNCHER_FILE} is a small jar (${launcher.length} bytes)`);
  // the Dockerfile's JDK stage and build.mjs compile it apart (same argument file): same class file version
  const [image, host] = await Promise.all([majorVersion(join(fs, 'otel-payload/java', LAUNCHER_FILE)), majorVersion(cachedLauncher())]);
  t.ok(image !== undefined && image === host, `the image's pre-check has the class file version build.mjs gives it (major ${image}, build.mjs ${host})`);
}

/** The class file major version of the pre-check's Launcher class in a jar (javap of the host's JDK 17). */
async function majorVersion(jar: string): Promise<string | undefined> {
  const r = await sh(HOST_JAVAC.replace(/javac$/, 'javap'), ['-v', '-cp', jar, 'io.otelinjector.javaagent.Launcher']);
  return /major version: (\d+)/.exec(r.stdout)?.[1];
}

/** Probe.class (Java 8 bytecode, compiled by the host's JDK 17): one GET to argv[0], prints the status. */
async function probeClasses(scratch: string): Promise<string> {
  const dir = join(scratch, 'java-probe');
  if (existsSync(join(dir, 'Probe.class'))) return dir;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Probe.java'), [
    'public class Probe {',
    '  public static void main(String[] args) throws Exception {',
    '    java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(args[0]).openConnection();',
    '    System.out.println("probe status " + c.getResponseCode());',
    '  }',
    '}',
  ].join('\n'));
  const r = await sh(HOST_JAVAC, ['--release', '8', '-Xlint:-options', '-d', dir, join(dir, 'Probe.java')]);
  if (r.code !== 0) throw new Error(`javac Probe.java: ${r.stderr}`);
  await chmod(dir, 0o755);
  return dir;
}

function otelEnv(service: string, receiver: Receiver, javaToolOptions: string): Record<string, string> {
  return { JAVA_TOOL_OPTIONS: javaToolOptions, ...tracesOnlyEnv(service, receiver.url), OTEL_BSP_SCHEDULE_DELAY: '200' };
}

/**
 * JVMs load the copied java/ folder (`vol`): JDK 17 in the JDK stand-in image with the volume at the mount
 * path, Temurin 25 on the host with JAVA_TOOL_OPTIONS naming the folder itself; each as a random uid.
 */
export async function loadsJavaPayload(t: Test, ctrs: Containers, jdkBase: string, vol: string, scratch: string, inject: InjectConfig, receiver: Receiver): Promise<void> {
  const probe = await probeClasses(scratch);
  const runs = [
    { name: 'JDK 17 (stand-in image)', inContainer: true },
    { name: 'Temurin 25 (host)', inContainer: false },
  ];
  for (const run of runs) {
    if (!run.inContainer && !existsSync(TEMURIN_25)) {
      t.pass(run.name, { skip: `${TEMURIN_25} is not installed` });
      continue;
    }
    const uid = randomUid();
    const service = `images-java-${run.inContainer ? 17 : 25}-${uid}`;
    const flag = javaagentFlag({ mountPath: run.inContainer ? inject.mountPath : vol });
    const env = otelEnv(service, receiver, flag);
    const url = `${receiver.url}/probe-${uid}`;
    const t0 = Date.now();
    const r = run.inContainer
      ? await ctrs.run(await ctrs.from(jdkBase), ['java', '-cp', '/probe', 'Probe', url], { user: `${uid}:${randomUid()}`, volumes: { [vol]: inject.mountPath, [probe]: '/probe' }, env })
      : await sh('setpriv', ['--reuid', String(uid), '--regid', String(randomUid()), '--clear-groups', TEMURIN_25, '-cp', probe, 'Probe', url], { PATH: '/usr/bin:/bin', ...env });
    t.equal(r.code, 0, `${run.name} as uid ${uid}: exit 0 (${secs(t0)})`, { stderr: r.stderr.slice(-3000) });
    t.match(r.stdout, /probe status \d+/, `${run.name}: the app ran`);
    t.match(r.stderr, `Picked up JAVA_TOOL_OPTIONS: ${flag}`, `${run.name}: the JVM's own line names the copied pre-check`);
    t.match(r.stderr, /opentelemetry-javaagent - version: \d+\.\d+\.\d+/, `${run.name}: the upstream agent started from the copied folder`);
    t.notMatch(r.stderr, /otel-injector:/, `${run.name}: the pre-check did not step aside`);
    const got = await receiver.waitFor((s) => s.spans.some((sp) => sp.resource['service.name'] === service), 20_000).catch(() => receiver);
    const span = got.spans.find((sp) => sp.resource['service.name'] === service);
    t.equal(span?.kind, CLIENT, `${run.name}: the HttpURLConnection client span reached the receiver (service.name ${service})`);
    t.equal(span?.resource['telemetry.sdk.language'], 'java', `${run.name}: resource says telemetry.sdk.language=java`);
  }
}

/** The gzip layers of the payload image: the last one is java/ (the Dockerfile's last COPY into the payload). */
export function javaLayer(t: Test, layers: number[]): { java: number; rest: number } {
  const java = layers.at(-1) ?? 0;
  const rest = layers.slice(0, -1).reduce((n, b) => n + b, 0);
  const jar = readPin();
  t.ok(java > 20e6 && java < 30e6, `the last layer is java/ (${(java / 1e6).toFixed(1)} MB gzip: the ${jar.version} agent is already compressed)`);
  return { java, rest };
}
