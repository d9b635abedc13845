// HTTP app that logs with winston (JSON on stdout) inside the request handler.
const http = require('node:http');
const winston = require('winston');
const ready = require('./ready.cjs');
const log = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Console()] });

const server = http.createServer((req, res) => {
  log.info('handled request', { path: req.url });
  res.end('logged');
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
