// hello.cjs plus GET /__heap: a full garbage collection, then the bytes the process still holds
// (V8 heap in use + external + array buffers). Retained memory, unlike RSS, does not depend on when
// V8 chooses to return freed pages to the system, so a leak test can bound it on a busy machine.
const http = require('node:http');
const v8 = require('node:v8');
const vm = require('node:vm');
const ready = require('./ready.cjs');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function retained() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

const server = http.createServer((req, res) => {
  if (req.url === '/__heap') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ retained: retained() }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello');
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
