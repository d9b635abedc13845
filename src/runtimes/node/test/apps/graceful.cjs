// HTTP app with its own SIGTERM handler: closes the server and exits 0 after a 1 s drain (the preload
// flushes within it; 300 ms proved too short for one export on a 2-core machine at load average 10+).
// /slow answers 300 ms later: a request the app finishes during its drain. DRAIN_MS: another drain time.
const http = require('node:http');
const ready = require('./ready.cjs');
const server = http.createServer((req, res) => {
  if (req.url === '/slow') setTimeout(() => res.end('slow'), 300);
  else res.end('graceful');
});
process.on('SIGTERM', () => {
  process.stdout.write('draining\n');
  server.close();
  setTimeout(() => process.exit(0), Number(process.env.DRAIN_MS ?? 1000));
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
