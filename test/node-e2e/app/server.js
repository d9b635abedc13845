// The app of the node e2e suite: plain node:http, no OpenTelemetry of its own, no SIGTERM
// handler (PID 1 in its container, like most `CMD ["node", "server.js"]` apps).
// GET /work answers; GET /call calls DOWNSTREAM_URL/work first (a trace across two services).
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT || 8080);
const downstream = process.env.DOWNSTREAM_URL || '';

function callDownstream(res) {
  http
    .get(`${downstream}/work`, (up) => {
      let body = '';
      up.on('data', (c) => (body += c));
      up.on('end', () => res.end(`downstream ${up.statusCode}: ${body}`));
    })
    .on('error', (err) => {
      res.statusCode = 502;
      res.end(String(err));
    });
}

http
  .createServer((req, res) => {
    if (req.url === '/healthz') return res.end('ok');
    if (req.url === '/call' && downstream !== '') return callDownstream(res);
    res.end(`work done by ${process.env.HOSTNAME || '?'}`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
