// pino and winston: records exported over OTLP carry the trace and span ids of the request's server
// span, and the app's own JSON log lines get trace_id / span_id injected.
import t from 'tap';
import { startReceiver } from '../../../../test/support/receiver.mjs';
import { SERVER, ensureBuilt, get, startApp, webhookEnv } from './helpers.js';

ensureBuilt();

for (const [file, lib] of [['pino-app.cjs', 'pino'], ['winston-app.cjs', 'winston']] as const) {
  t.test(`${lib}: exported log records and stdout lines carry the trace id`, async (t) => {
    const receiver = await startReceiver();
    const app = await startApp(file, webhookEnv(receiver.url, `${lib}-app`, { OTEL_METRICS_EXPORTER: 'none' }));
    t.teardown(async () => { await app.stop(); await receiver.close(); });
    t.equal((await get(`${app.url}/orders/9`)).status, 200);
    const s = await receiver.waitFor((st) => st.logs.length > 0 && st.spans.some((x) => x.kind === SERVER));
    const span = s.spans.find((x) => x.kind === SERVER);
    const record = s.logs.find((l) => l.body === 'handled request');
    t.ok(record, 'log record exported over OTLP');
    t.equal(record?.traceId, span?.traceId, 'log record trace id = server span trace id');
    t.equal(record?.spanId, span?.spanId, 'log record span id = server span id');
    t.equal(record?.resource['service.name'], `${lib}-app`);
    t.equal(record?.resource['k8s.namespace.name'], 'shop');
    t.equal(record?.attributes.path, '/orders/9', 'structured fields kept as attributes');
    const line = app.stdout().split('\n').find((l) => l.includes('handled request'));
    const parsed = JSON.parse(line ?? '{}') as Record<string, unknown>;
    t.equal(parsed.trace_id, span?.traceId, 'trace_id injected into the JSON line');
    t.equal(parsed.span_id, span?.spanId, 'span_id injected into the JSON line');
  });
}
