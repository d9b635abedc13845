// cluster primary + 2 workers sharing one port. Each worker does what many services do on SIGTERM:
// process.exit(0). The primary forwards SIGTERM to the workers and exits 0 once both are gone.
const cluster = require('node:cluster');
const http = require('node:http');
if (cluster.isPrimary) {
  const workers = [cluster.fork(), cluster.fork()];
  let listening = 0;
  let port = 0;
  cluster.on('listening', (w, address) => {
    port = address.port;
    if (++listening === workers.length) {
      process.stdout.write(JSON.stringify({ ready: true, port, rss: process.memoryUsage().rss, workers: workers.map((w) => w.process.pid) }) + '\n');
    }
  });
  process.on('SIGTERM', () => {
    let left = workers.length;
    for (const w of workers) {
      w.on('exit', () => { if (--left === 0) process.exit(0); });
      w.process.kill('SIGTERM');
    }
  });
} else {
  const server = http.createServer((req, res) => res.end(`worker ${process.pid}`));
  process.on('SIGTERM', () => process.exit(0));
  // (listen(0) in cluster workers: every worker gets the same port, handed out by the primary)
  server.listen(0, '127.0.0.1');
}
