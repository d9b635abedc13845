// The pre-check on a real JVM (apps/javalin, JDK 17, the webhook's env): an app whose command line loads its
// own -javaagent (here: the upstream agent from another path, as an image that ships it) gets one
// `otel-injector:` line and one set of spans (its agent's); a payload without the upstream jar: one line, the
// app starts and serves uninstrumented. (Another agent in JAVA_TOOL_OPTIONS itself: the webhook steps aside,
// runtime.test.ts.)
import t from 'tap';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_JAR, builtApp } from './support/apps.js';
import { injectedEnv, jdks } from './support/jvm.js';
import { getText } from './support/spring.js';
import { freePort, run, type Proc } from '../../python/test/support/proc.js';
import { SERVER, startReceiver, type Receiver } from '../../python/test/support/otlp.js';
import { LAUNCHER_FILE } from '../runtime.js';

const jdk = jdks().present.find((j) => j.name === 'jdk17');
let receiver: Receiver;
let dir: string;
const scratch = mkdtempSync(join(tmpdir(), 'otel-injector-java-'));

t.before(async () => {
  [receiver, dir] = await Promise.all([startReceiver(), builtApp('javalin')]);
});
t.teardown(async () => {
  await receiver?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function startHello(service: string, javaArgs: string[], extra: Record<string, string> = {}): Promise<{ app: Proc; port: number }> {
  const port = await freePort();
  const env = { ...injectedEnv(service, receiver.url, [], { PORT: String(port) }), ...extra };
  const cp = `${join(dir, 'target', 'classes')}:${join(dir, 'target', 'lib', '*')}`;
  const app = run('nice', ['-n', '10', jdk?.java ?? 'java', ...javaArgs, '-cp', cp, 'io.otelinjector.hello.HelloApp'], { env, cwd: dir });
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
  const { mkdirSync } = await import('node:fs');
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
