// The non-Spring server (apps/javalin: Javalin on Jetty, logback) on each JDK with the webhook's env: a server
// span with the route, its log line with the trace id, JVM metrics; the JVM's own line about the variable.
import t from 'tap';
import { join } from 'node:path';
import { builtApp } from './support/apps.js';
import { injectedEnv, jdks } from './support/jvm.js';
import { getText } from './support/spring.js';
import { freePort, run } from '../../python/test/support/proc.js';
import { SERVER, startReceiver, type Receiver } from '../../python/test/support/otlp.js';

const { present, missing } = jdks();
let receiver: Receiver;
let dir: string;

t.before(async () => {
  [receiver, dir] = await Promise.all([startReceiver(), builtApp('javalin')]);
});
t.teardown(async () => {
  await receiver?.close();
});

for (const name of missing) t.test(`javalin on ${name}`, { skip: `${name} is not installed` }, async () => {});

for (const jdk of present) {
  t.test(`javalin on ${jdk.name}: server span with the route, log with its trace id, JVM metrics`, async (t) => {
    const service = `hello-${jdk.name}`;
    const port = await freePort();
    const env = injectedEnv(service, receiver.url, [], { PORT: String(port) });
    const cp = `${join(dir, 'target', 'classes')}:${join(dir, 'target', 'lib', '*')}`;
    const app = run('nice', ['-n', '10', jdk.java, '-cp', cp, 'io.otelinjector.hello.HelloApp'], { env, cwd: dir });
    t.teardown(() => app.stop());
    await app.waitOutput(/Javalin started/, 240000, 'Javalin started');
    t.match(app.stderr() + app.stdout(), /Picked up JAVA_TOOL_OPTIONS: .*-javaagent:/);
    t.equal(await getText(`http://127.0.0.1:${port}/hello/ada`), 'hello ada');
    const isServer = (x: Receiver['spans'][number]): boolean => x.kind === SERVER && x.resource['service.name'] === service && x.attributes['http.route'] === '/hello/{name}';
    const st = await receiver.waitFor((s) => {
      const span = s.spans.find(isServer);
      return span !== undefined && s.logs.some((l) => l.traceId === span.traceId) && s.metrics.some((m) => m.resource['service.name'] === service && m.name === 'jvm.memory.used');
    }, 90000);
    const span = st.spans.find(isServer);
    t.equal(span?.attributes['http.response.status_code'], 200);
    t.equal(st.spans.filter(isServer).length, 1, 'one server span for one request');
    const log = st.logs.find((l) => l.traceId === span?.traceId);
    t.equal(log?.body, 'hello ada');
    t.equal(log?.spanId, span?.spanId, 'the log line names the server span');
  });
}
