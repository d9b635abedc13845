// The Spring Boot 3 service (apps/spring: JDBC on PostgreSQL, Redis through Lettuce, RabbitMQ through Spring
// AMQP) on each JDK with JAVA_TOOL_OPTIONS and OTEL_* as the webhook writes them, judged on what the OTLP
// receiver gets: one trace from the HTTP route through the three clients, JVM runtime metrics, logs with the
// trace's ids. PostgreSQL, Redis and RabbitMQ are Debian's, started by the test on loopback.
import t from 'tap';
import { builtApp } from './support/apps.js';
import { jdks } from './support/jvm.js';
import { startServers, type Servers } from '../../python/test/support/servers.js';
import { startReceiver, type Receiver } from '../../python/test/support/otlp.js';
import { startSpring, getText, type SpringApp } from './support/spring.js';
import { CLIENT, CONSUMER, PRODUCER, SERVER } from '../../python/test/support/otlp.js';

const { present, missing } = jdks();
let servers: Servers;
let receiver: Receiver;
let dir: string;

t.before(async () => {
  [servers, receiver, dir] = await Promise.all([startServers(), startReceiver(), builtApp('spring')]);
});
t.teardown(async () => {
  await servers?.stop();
  await receiver?.close();
});

for (const name of missing) t.test(`spring on ${name}`, { skip: `${name} is not installed` }, async () => {});

for (const jdk of present) {
  t.test(`spring on ${jdk.name}: one trace through HTTP, JDBC, Redis and RabbitMQ; JVM metrics; logs with trace ids`, async (t) => {
    const service = `shop-${jdk.name}`;
    const app: SpringApp = await startSpring(jdk, dir, service, receiver.url, servers);
    t.teardown(() => app.proc.stop());
    t.match(app.proc.stderr(), /Picked up JAVA_TOOL_OPTIONS: .*-javaagent:\S+\/java\/otel-injector-javaagent\.jar/, 'the JVM says it read the variable');
    for (let i = 0; i < 3; i++) t.match(await getText(`${app.url}/items/${i + 7}`), /"answer":\d+/);
    const st = await receiver.waitFor((s) => {
      const server = s.spans.find((x) => x.kind === SERVER && x.resource['service.name'] === service && x.attributes['http.route'] === '/items/{id}');
      if (server === undefined) return false;
      const inTrace = s.spans.filter((x) => x.traceId === server.traceId);
      return ['postgresql', 'redis'].every((db) => inTrace.some((x) => x.kind === CLIENT && (x.attributes['db.system.name'] ?? x.attributes['db.system']) === db))
        && inTrace.some((x) => x.kind === PRODUCER) && inTrace.some((x) => x.kind === CONSUMER)
        && s.logs.some((l) => l.traceId === server.traceId)
        && s.metrics.some((m) => m.resource['service.name'] === service && m.name === 'jvm.memory.used');
    }, 90000);
    const server = st.spans.find((x) => x.kind === SERVER && x.resource['service.name'] === service && x.attributes['http.route'] === '/items/{id}');
    if (server === undefined) throw new Error('no server span');
    t.equal(server.resource['k8s.namespace.name'], 'shop', 'resource attributes from the webhook');
    t.equal(server.resource['telemetry.distro.name'] ?? server.resource['telemetry.sdk.language'], server.resource['telemetry.distro.name'] === undefined ? 'java' : 'opentelemetry-java-instrumentation');
    const inTrace = st.spans.filter((x) => x.traceId === server.traceId);
    const db = (x: { attributes: Record<string, unknown> }): unknown => x.attributes['db.system.name'] ?? x.attributes['db.system'];
    const statement = (x: { attributes: Record<string, unknown> }): string => String(x.attributes['db.query.text'] ?? x.attributes['db.statement'] ?? '');
    const jdbcSpans = inTrace.filter((x) => x.kind === CLIENT && db(x) === 'postgresql');
    const jdbc = jdbcSpans.find((x) => /SELECT \? \+ \?/.test(statement(x)));
    const redis = inTrace.find((x) => x.kind === CLIENT && db(x) === 'redis');
    const publish = inTrace.find((x) => x.kind === PRODUCER && x.attributes['messaging.system'] === 'rabbitmq');
    const consume = inTrace.find((x) => x.kind === CONSUMER && x.attributes['messaging.system'] === 'rabbitmq');
    t.ok(jdbc, 'JDBC client span with the app\'s statement, literals sanitized, in the trace', { spans: jdbcSpans.map((x) => ({ name: x.name, attributes: x.attributes })) });
    t.ok(redis, 'Redis (Lettuce) client span in the trace');
    t.ok(publish, 'RabbitMQ publish span in the trace');
    t.ok(consume, 'RabbitMQ consumer span in the same trace (context carried in the message)');
    const log = st.logs.find((l) => l.traceId === server.traceId && String(l.body).startsWith('item '));
    t.ok(log, 'the request\'s log line carries its trace id');
    t.ok(st.logs.some((l) => l.traceId === server.traceId && String(l.body).startsWith('received order')), 'the consumer\'s log line carries the trace id');
    const names = new Set(st.metrics.filter((m) => m.resource['service.name'] === service).map((m) => m.name));
    for (const m of ['jvm.memory.used', 'jvm.thread.count', 'jvm.class.loaded', 'jvm.cpu.time']) t.ok(names.has(m), `JVM runtime metric ${m}`);
    // One server span per request: the agent is loaded once.
    const perRequest = st.spans.filter((x) => x.kind === SERVER && x.resource['service.name'] === service && x.attributes['http.route'] === '/items/{id}');
    t.equal(new Set(perRequest.map((x) => x.traceId)).size, perRequest.length, 'no doubled server spans');
  });
}
