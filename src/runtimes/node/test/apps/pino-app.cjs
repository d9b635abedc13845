// HTTP app that logs with pino (JSON on stdout) inside the request handler.
const http = require('node:http');
const pino = require('pino');
const ready = require('./ready.cjs');
const log = pino({ base: undefined });

const server = http.createServer((req, res) => {
  log.info({ path: req.url }, 'handled request');
  res.end('logged');
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
