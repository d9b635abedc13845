// HTTP server whose /boom handler throws in a timer: an uncaught exception ends the process (exit code 1).
// With HANDLE_CRASH=1 the app has its own uncaughtException listener, logs the error and lives on.
const http = require('node:http');
const ready = require('./ready.cjs');
const server = http.createServer((req, res) => {
  if (req.url === '/boom') {
    setTimeout(() => {
      throw new TypeError('boom in a timer');
    }, 5);
    return;
  }
  res.end('ok');
});
if (process.env.HANDLE_CRASH === '1') {
  process.on('uncaughtException', (err) => process.stdout.write(`app caught: ${err.message}\n`));
}
server.listen(0, '127.0.0.1', () => ready(server));
