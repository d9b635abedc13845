// The non-Spring server (apps/javalin: Javalin on Jetty, logback) on each JDK with the webhook's env: a server
// span with the route, its log line with the trace id, JVM metrics; the JVM's own line about the variable; and
// /work calling a downstream server on loopback through java.net.http.HttpClient: the traceparent is sent
// and the client span is the child of the server span (the node suite's Node -> Java -> Python trace uses it).
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { builtApp } from './support/apps.js';
import { injectedEnv, jdks } from './support/jvm.js';
import { getText } from './support/spring.js';
import { freePort, run } from '../../python/test/support/proc.js';
import { CLIENT, SERVER, startReceiver, type Receiver, type ReceiverState, type SpanRecord } from '../../python/test/support/otlp.js';

const { present, missing } = jdks();
let receiver: Receiver;
let dir: string;
// the app's downstream: answers whether the request carried a W3C traceparent
const downstream: Server = createServer((req, res) => res.end(`down ${req.headers.traceparent === undefined ? 'untraced' : 'traced'}`));

t.before(async () => {
  [receiver, dir] = await Promise.all([startReceiver(), builtApp('javalin'), new Promise<void>((ok) => downstream.listen(0, '127.0.0.1', ok))]);
});
t.teardown(async () => {
  await receiver?.close();
  downstream.close();
});

for (const name of missing) t.test(`javalin on ${name}`, { skip: `${name} is not installed` }, async () => {});

for (const jdk of present) {
  t.test(`javalin on ${jdk.name}: server span with the route, log with its trace id, JVM metrics`, async (t) => {
    const service = `hello-${jdk.name}`;
    const port = await freePort();
    const address = downstream.address();
    const downUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const env = injectedEnv(service, receiver.url, [], { PORT: String(port), DOWNSTREAM_URL: downUrl });
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
    t.equal(await getText(`http://127.0.0.1:${port}/work`), 'java: downstream 200: down traced', '/work called downstream with a traceparent');
    const pair = (s: ReceiverState): [SpanRecord, SpanRecord] | undefined => {
      const server = s.spans.find((x) => x.kind === SERVER && x.resource['service.name'] === service && x.attributes['http.route'] === '/work');
      const client = s.spans.find((x) => x.kind === CLIENT && x.resource['service.name'] === service && x.parentSpanId === server?.spanId);
      return server && client ? [server, client] : undefined;
    };
    const [, client] = pair(await receiver.waitFor((s) => pair(s) !== undefined, 60000).catch(() => receiver)) ?? [];
    t.equal(client?.attributes['url.full'], `${downUrl}/work`, 'the HttpClient span is the child of the /work server span and names the downstream URL');
  });
}
