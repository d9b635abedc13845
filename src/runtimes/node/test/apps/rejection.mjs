// ESM HTTP server whose /reject handler leaves a promise rejection unhandled: under Node's default
// --unhandled-rejections=throw the process ends with exit code 1.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
const ready = createRequire(import.meta.url)('./ready.cjs');
const later = (ms) => new Promise((r) => setTimeout(r, ms));
const server = createServer((req, res) => {
  if (req.url === '/reject') {
    (async () => {
      await later(5);
      throw new RangeError('rejected in a handler');
    })();
    return;
  }
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => ready(server));
