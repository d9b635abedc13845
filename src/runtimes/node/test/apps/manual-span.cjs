// An app that uses its own copy of @opentelemetry/api (from its node_modules) to make a span inside
// the request: it must attach to the preload's provider (the bundled API is the newest 1.x).
const http = require('node:http');
const api = require('@opentelemetry/api');
const ready = require('./ready.cjs');
const tracer = api.trace.getTracer('manual-app');
const server = http.createServer((req, res) => {
  tracer.startActiveSpan('manual-work', (span) => {
    span.setAttribute('app.item', 'x');
    span.end();
    res.end('manual');
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
