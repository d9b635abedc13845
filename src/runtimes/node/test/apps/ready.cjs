// Shared by the example apps: print one JSON line on stdout once listening (port and RSS).
module.exports = function ready(server, extra = {}) {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ ready: true, port, rss: process.memoryUsage().rss, ...extra }) + '\n');
};
