// The pre-check on a real JVM (apps/javalin, JDK 17, the webhook's env): an app whose command line loads its
// own -javaagent (here: the upstream agent from another path, as an image that ships it) gets one
// `otel-injector:` line and one set of spans (its agent's); a payload without the upstream jar: one line, the
// app starts and serves uninstrumented; an app that carries its own OpenTelemetry SDK (set up in code, apps/ownsdk),
// or a Spring Boot archive that nests the SDK or the Spring starter: one line, its own spans only.
// (Another agent in JAVA_TOOL_OPTIONS itself: the webhook steps aside, runtime.test.ts.)
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AGENT_JAR, builtApp } from './support/apps.js';
import { injectedEnv, jdks } from './support/jvm.js';
import { getText } from './support/spring.js';
import { freePort, run, runToEnd, type Proc } from '../../python/test/support/proc.js';
import { SERVER, startReceiver, type Receiver } from '../../python/test/support/otlp.js';
import { LAUNCHER_FILE } from '../runtime.js';

const jdk = jdks().present.find((j) => j.name === 'jdk17');
let receiver: Receiver;
let dir: string;
let ownSdkDir: string;
const scratch = mkdtempSync(join(tmpdir(), 'otel-injector-java-'));

t.before(async () => {
  [receiver, dir, ownSdkDir] = await Promise.all([startReceiver(), builtApp('javalin'), builtApp('ownsdk')]);
});
t.teardown(async () => {
  await receiver?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function startHello(service: string, javaArgs: string[], extra: Record<string, string> = {}, spec: { dir?: string; main: string } = { main: 'io.otelinjector.hello.HelloApp' }): Promise<{ app: Proc; port: number }> {
  const port = await freePort();
  const env = { ...injectedEnv(service, receiver.url, [], { PORT: String(port) }), ...extra };
  const home = spec.dir ?? dir;
  const cp = `${join(home, 'target', 'classes')}:${join(home, 'target', 'lib', '*')}`;
  const app = run('nice', ['-n', '10', jdk?.java ?? 'java', ...javaArgs, '-cp', cp, spec.main], { env, cwd: home });
  await app.waitOutput(/Javalin started/, 240000, 'Javalin started');
  return { app, port };
}

const ourLines = (p: Proc): string[] => (p.stderr() + p.stdout()).split('\n').filter((l) => l.startsWith('otel-injector:'));

t.test('an app with its own -javaagent on the command line: one line, its agent only, no doubled spans', { skip: jdk === undefined ? 'JDK 17 is not installed' : false }, async (t) => {
  const own = join(scratch, 'vendor-agent.jar');
  copyFileSync(AGENT_JAR, own);
  const service = 'own-agent';
  const { app, port } = await startHello(service, [`-javaagent:${own}`]);
  t.teardown(() => app.stop());
  t.same(ourLines(app), ['otel-injector: java: another -javaagent is loaded (vendor-agent.jar): the OpenTelemetry agent steps aside']);
  t.equal((app.stderr() + app.stdout()).match(/opentelemetry-javaagent - version:/g)?.length, 1, 'one agent started (the app\'s)');
  for (let i = 0; i < 3; i++) t.equal(await getText(`http://127.0.0.1:${port}/hello/n${i}`), `hello n${i}`);
  const isServer = (x: Receiver['spans'][number]): boolean => x.kind === SERVER && x.resource['service.name'] === service && x.attributes['http.route'] === '/hello/{name}';
  await receiver.waitFor((s) => s.spans.filter(isServer).length >= 3, 60000);
  // The app's agent exports with the same env; let a second exporter (if any) catch up before counting.
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(receiver.spans.filter(isServer).length, 3, 'three requests, three server spans');
});

t.test('the upstream jar missing from the payload: one line, the app starts and serves uninstrumented', { skip: jdk === undefined ? 'JDK 17 is not installed' : false }, async (t) => {
  const payload = join(scratch, 'broken', 'java');
  mkdirSync(payload, { recursive: true });
  copyFileSync(join(AGENT_JAR, '..', LAUNCHER_FILE), join(payload, LAUNCHER_FILE));
  const service = 'broken-payload';
  const { app, port } = await startHello(service, [], { JAVA_TOOL_OPTIONS: `-javaagent:${join(payload, LAUNCHER_FILE)}` });
  t.teardown(() => app.stop());
  const lines = ourLines(app);
  t.equal(lines.length, 1);
  t.match(lines[0], /^otel-injector: java: the OpenTelemetry agent was not loaded \(.*opentelemetry-javaagent\.jar.*\); the app starts without it$/);
  t.equal(await getText(`http://127.0.0.1:${port}/hello/x`), 'hello x');
});

const agentStarted = (p: Proc): number => (p.stderr() + p.stdout()).match(/opentelemetry-javaagent - version:/g)?.length ?? 0;

t.test('an app that sets up its own OpenTelemetry SDK: one line naming it, its own spans only', { skip: jdk === undefined ? 'JDK 17 is not installed' : false }, async (t) => {
  const service = 'own-sdk';
  const { app, port } = await startHello(service, [], {}, { dir: ownSdkDir, main: 'io.otelinjector.ownsdk.OwnSdkApp' });
  t.teardown(() => app.stop());
  const lines = ourLines(app);
  t.equal(lines.length, 1, 'one otel-injector line');
  t.match(lines[0], /^otel-injector: java: the app carries its own OpenTelemetry SDK \(opentelemetry-sdk-1\.68\.0\.jar\): the OpenTelemetry agent steps aside \(OTEL_INJECTOR_JAVA_APP_SDK=instrument loads it anyway\)$/);
  t.equal(agentStarted(app), 0, 'the upstream agent did not start');
  for (let i = 0; i < 3; i++) t.equal(await getText(`http://127.0.0.1:${port}/hello/s${i}`), `hello s${i}`);
  const mine = (x: Receiver['spans'][number]): boolean => x.resource['service.name'] === service;
  await receiver.waitFor((s) => s.spans.filter(mine).length >= 3, 60000);
  await app.stop(); // the app's shutdown hook flushes its SDK: anything a second pipeline had would be out now
  const spans = receiver.spans.filter(mine);
  t.same([...new Set(spans.map((x) => x.scope))], ['ownsdk-app'], 'every span comes from the app\'s own tracer');
  t.equal(spans.filter((x) => x.kind === SERVER).length, 3, 'three requests, three server spans: none doubled');
});

t.test('OTEL_INJECTOR_JAVA_APP_SDK=instrument: the agent loads next to the app\'s SDK', { skip: jdk === undefined ? 'JDK 17 is not installed' : false }, async (t) => {
  const { app, port } = await startHello('own-sdk-forced', [], { OTEL_INJECTOR_JAVA_APP_SDK: 'instrument' }, { dir: ownSdkDir, main: 'io.otelinjector.ownsdk.OwnSdkApp' });
  t.teardown(() => app.stop());
  t.same(ourLines(app), [], 'no step-aside line');
  t.equal(agentStarted(app), 1, 'the upstream agent started');
  t.equal(await getText(`http://127.0.0.1:${port}/hello/f`), 'hello f');
});

t.test('Spring Boot and uber jars that carry the SDK or the starter: one line naming the entry, main runs', { skip: jdk === undefined ? 'JDK 17 is not installed' : false }, async (t) => {
  const work = join(scratch, 'jars');
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'Main.java'), 'public class Main { public static void main(String[] a) { System.out.println("main ran"); } }\n');
  const bin = dirname(jdk?.java ?? 'java');
  await runToEnd(join(bin, 'javac'), ['-d', join(work, 'classes'), join(work, 'src', 'Main.java')]);
  const cases = [
    { jar: 'boot.jar', entry: 'BOOT-INF/lib/opentelemetry-spring-boot-starter-2.21.0.jar' },
    { jar: 'war.war', entry: 'WEB-INF/lib/opentelemetry-sdk-1.55.0.jar' },
    { jar: 'uber.jar', entry: 'io/opentelemetry/sdk/OpenTelemetrySdk.class' },
    { jar: 'plain.jar', entry: 'BOOT-INF/lib/opentelemetry-api-1.55.0.jar' },
  ];
  for (const c of cases) {
    const extra = join(work, `extra-${c.jar}`);
    mkdirSync(join(extra, dirname(c.entry)), { recursive: true });
    writeFileSync(join(extra, c.entry), 'x');
    await runToEnd(join(bin, 'jar'), ['--create', '--file', join(work, c.jar), '--main-class', 'Main', '-C', join(work, 'classes'), '.', '-C', extra, '.']);
    const p = run(jdk?.java ?? 'java', ['-jar', join(work, c.jar)], { env: injectedEnv(`jar-${c.jar}`, receiver.url) });
    const exit = await p.exited;
    t.equal(exit.code, 0, `${c.jar}: exit 0`);
    t.match(p.stdout(), /main ran/, `${c.jar}: main ran`);
    if (c.jar === 'plain.jar') {
      t.same(ourLines(p), [], 'the API alone (every instrumented library carries it) is no reason to step aside');
      t.equal(agentStarted(p), 1, 'plain.jar: the agent started');
    } else {
      t.same(ourLines(p), [`otel-injector: java: the app carries its own OpenTelemetry SDK (${c.jar}!/${c.entry}): the OpenTelemetry agent steps aside (OTEL_INJECTOR_JAVA_APP_SDK=instrument loads it anyway)`]);
    }
  }
});

t.test('a JVM older than the agent\'s floor (Java 8): the pre-check loads there and says so in one line', { skip: jdk === undefined ? 'JDK 17 is not installed' : false }, async (t) => {
  // No Java 7 JVM is available on this machine (Debian 12 and Maven Central carry none): what can be checked is
  // that every class of the pre-check is Java 7 bytecode (major 51), so such a JVM loads it, and the version rule
  // the pre-check applies to the JVM's java.specification.version.
  const jar = join(AGENT_JAR, '..', LAUNCHER_FILE);
  const listing = await runToEnd(join(dirname(jdk?.java ?? 'java'), 'jar'), ['--list', '--file', jar]);
  const classes = listing.split('\n').filter((l) => l.endsWith('.class'));
  t.ok(classes.length >= 2, `${classes.length} classes`);
  for (const cls of classes) {
    const bytes = execFileSync('unzip', ['-p', jar, cls]);
    t.equal(bytes.readUInt16BE(6), 51, `${cls}: class file major version 51 (Java 7)`);
  }
  const probe = join(scratch, 'probe');
  mkdirSync(probe, { recursive: true });
  writeFileSync(join(probe, 'Probe.java'), [
    'package io.otelinjector.javaagent;',
    'public class Probe { public static void main(String[] a) { StringBuilder b = new StringBuilder();',
    '  for (String v : a) b.append(v).append("=").append(Launcher.supported(v)).append(" "); System.out.println(b.toString().trim()); } }', ''].join('\n'));
  await runToEnd(join(dirname(jdk?.java ?? 'java'), 'javac'), ['-cp', jar, '-d', probe, join(probe, 'Probe.java')]);
  const out = await runToEnd(jdk?.java ?? 'java', ['-cp', `${jar}:${probe}`, 'io.otelinjector.javaagent.Probe', '1.5', '1.6', '1.7', '1.8', '9', '11', '17', '25', 'x']);
  t.equal(out.trim(), '1.5=false 1.6=false 1.7=false 1.8=true 9=true 11=true 17=true 25=true x=false');
});
