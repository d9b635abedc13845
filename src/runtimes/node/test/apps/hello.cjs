// Minimal HTTP server (benchmark baseline app): answers "hello" on every path.
const http = require('node:http');
const ready = require('./ready.cjs');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello');
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
