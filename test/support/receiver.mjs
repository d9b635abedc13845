// A small OTLP/HTTP receiver for the payload tests and benchmarks: accepts /v1/traces, /v1/metrics and
// /v1/logs as protobuf (decoded with protobufjs from the schema in otlp-proto.mjs) or JSON, and keeps
// normalised records. Standalone: `node test/support/receiver.mjs [port]` prints its port and counts.
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { OTLP_PROTO } from './otlp-proto.mjs';

const root = protobuf.parse(OTLP_PROTO).root;
const TYPES = {
  '/v1/traces': root.lookupType('otlp.ExportTraceServiceRequest'),
  '/v1/metrics': root.lookupType('otlp.ExportMetricsServiceRequest'),
  '/v1/logs': root.lookupType('otlp.ExportLogsServiceRequest'),
};
const TO_OBJECT = { longs: String, enums: Number, bytes: Buffer, defaults: false, oneofs: false };

function hex(v) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'string') return v.toLowerCase();
  return Buffer.from(v).toString('hex');
}

export function anyValue(v) {
  if (v === undefined || v === null) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
  if ('bytesValue' in v) return hex(v.bytesValue);
  return undefined;
}

export function attrs(list) {
  const out = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function spansOf(req) {
  return (req.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({
    traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), name: s.name, kind: Number(s.kind ?? 0),
    attributes: attrs(s.attributes), resource: attrs(rs.resource?.attributes), scope: ss.scope?.name ?? '',
    status: { code: Number(s.status?.code ?? 0), message: s.status?.message ?? '' },
    events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
  }))));
}

function logsOf(req) {
  return (req.resourceLogs ?? []).flatMap((rl) => (rl.scopeLogs ?? []).flatMap((sl) => (sl.logRecords ?? []).map((l) => ({
    traceId: hex(l.traceId), spanId: hex(l.spanId), severityText: l.severityText ?? '', severityNumber: Number(l.severityNumber ?? 0), body: anyValue(l.body),
    attributes: attrs(l.attributes), resource: attrs(rl.resource?.attributes), scope: sl.scope?.name ?? '',
  }))));
}

function metricType(m) {
  for (const t of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) if (m[t] !== undefined) return t;
  return 'unknown';
}

function metricsOf(req) {
  return (req.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => {
    const type = metricType(m);
    const points = (m[type]?.dataPoints ?? []).map((p) => (Buffer.isBuffer(p) ? {} : {
      attributes: attrs(p.attributes), count: p.count !== undefined ? Number(p.count) : undefined,
      value: p.asDouble ?? (p.asInt !== undefined ? Number(p.asInt) : undefined),
    }));
    return { name: m.name, unit: m.unit ?? '', type, points, resource: attrs(rm.resource?.attributes), scope: sm.scope?.name ?? '' };
  })));
}

function decode(path, contentType, body) {
  if (contentType.includes('json')) return JSON.parse(body.toString('utf8'));
  return TYPES[path].toObject(TYPES[path].decode(body), TO_OBJECT);
}

/**
 * Starts the receiver on 127.0.0.1 (or `host`: an address of a network the test created). `status` lets a test make it answer errors;
 * `holdFirst: n` keeps the first n requests of each path unanswered (recorded, never answered: a collector that hangs) until close().
 * `keepBodies`: each request record keeps its decoded OTLP body too (`body`: the request as OTLP/JSON would write it).
 * `delayMs`: a slow collector, answering that much later; data whose client hung up before the answer counts as cut (`cut`) and
 * is not kept (as a collector whose client went away). `silent`: a collector that reads every request and never answers.
 */
export function startReceiver(options = {}) {
  const state = { spans: [], logs: [], metrics: [], requests: [], errors: [], tlsErrors: [], cut: 0, status: options.status ?? 200 };
  const seen = new Map();
  const waiters = new Set();
  const notify = () => { for (const w of [...waiters]) w(); };
  // `tls: {key, cert, ca?, requestCert?}`: an OTLP/HTTP receiver over TLS (mTLS with requestCert and ca: only
  // clients with a certificate from `ca` are answered); setTls() swaps its certificate.
  const tls = options.tls === undefined ? undefined : { ...options.tls, rejectUnauthorized: options.tls.requestCert === true };
  const handler = (req, res) => {
    const chunks = [];
    let gone = false;
    res.once('close', () => { if (!res.writableFinished) gone = true; });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (options.silent) return;
      if (options.delayMs) setTimeout(() => (gone && !options.keepIfGone ? (state.cut++, notify()) : answer()), options.delayMs);
      else answer();
    });
    const answer = () => {
      let body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0];
      const contentType = String(req.headers['content-type'] ?? '');
      const record = { path, contentType, bytes: body.length, headers: req.headers, clientCertificate: req.socket.getPeerCertificate?.()?.subject?.CN };
      state.requests.push(record);
      try {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        if (!(path in TYPES)) throw new Error(`unexpected path ${path}`);
        const decoded = decode(path, contentType, body);
        if (options.keepBodies) record.body = decoded;
        if (path === '/v1/traces') state.spans.push(...spansOf(decoded));
        if (path === '/v1/logs') state.logs.push(...logsOf(decoded));
        if (path === '/v1/metrics') state.metrics.push(...metricsOf(decoded));
      } catch (err) {
        state.errors.push(String(err));
      }
      const nth = (seen.get(path) ?? 0) + 1;
      seen.set(path, nth);
      if (nth > (options.holdFirst ?? 0)) {
        res.writeHead(state.status, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
        res.end(contentType.includes('json') ? '{}' : '');
      }
      notify();
    };
  };
  const server = tls === undefined ? createServer(handler) : createTlsServer(tls, handler);
  if (tls !== undefined) server.on('tlsClientError', (err) => { state.tlsErrors.push(String(err.code ?? err.message)); notify(); });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const host = options.host ?? '127.0.0.1';
    server.listen(options.port ?? 0, host, () => {
      const port = server.address().port;
      // (the state's getters copied as getters: `cut` is a number, read when asked)
      resolve(Object.defineProperties({
        port,
        url: `${tls === undefined ? 'http' : 'https'}://${host}:${port}`,
        // (and drops the open connections, as a collector restarted with its new certificate does)
        setTls(next) { server.setSecureContext({ ...tls, ...next }); server.closeAllConnections(); },
        waitFor(predicate, timeoutMs = 15000) {
          return new Promise((res2, rej2) => {
            const check = () => {
              let ok = false;
              try { ok = predicate(state); } catch { ok = false; }
              if (ok) { waiters.delete(check); clearTimeout(timer); res2(state); }
            };
            const timer = setTimeout(() => { waiters.delete(check); rej2(new Error(`receiver: condition not met in ${timeoutMs} ms (${state.spans.length} spans, ${state.metrics.length} metrics, ${state.logs.length} logs, errors: ${state.errors.join('; ')})`)); }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        close() {
          server.closeAllConnections?.();
          return new Promise((r) => server.close(() => r()));
        },
      }, Object.getOwnPropertyDescriptors(state_api(state))));
    });
  });
}

function state_api(state) {
  return {
    get spans() { return state.spans; },
    get logs() { return state.logs; },
    get metrics() { return state.metrics; },
    get requests() { return state.requests; },
    get errors() { return state.errors; },
    get tlsErrors() { return state.tlsErrors; },
    get cut() { return state.cut; },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await startReceiver({ port: Number(process.argv[2] ?? 0) });
  console.log(JSON.stringify({ port: r.port }));
  let spansBefore = 0; // spans dropped from memory by the interval below, still counted in spansTotal
  const report = () => console.log(JSON.stringify({ spans: r.spans.length, spansTotal: spansBefore + r.spans.length, metrics: r.metrics.length, logs: r.logs.length, requests: r.requests.length, errors: r.errors.length }));
  process.on('SIGTERM', () => { report(); process.exit(0); });
  process.on('SIGINT', () => { report(); process.exit(0); });
  setInterval(() => { spansBefore += r.spans.length; r.spans.length = 0; r.logs.length = 0; r.metrics.length = 0; }, 5000).unref();
}
