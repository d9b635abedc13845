// HTTP app with no signal handler of its own (SIGTERM test): whatever the preload does, SIGTERM must end it.
const http = require('node:http');
const ready = require('./ready.cjs');
const server = http.createServer((req, res) => res.end('idle'));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
