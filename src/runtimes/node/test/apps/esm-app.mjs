// ECMAScript-module app: express imported with `import`, and the outgoing call made through a
// *named* import of node:http (`get`), which only an ESM loader hook can instrument.
import { get, createServer } from 'node:http';
import express from 'express';

const app = express();
app.get('/hello/:name', (req, res) => {
  get(`${process.env.BACKEND_URL}/users/${encodeURIComponent(req.params.name)}`, (up) => {
    let body = '';
    up.on('data', (c) => { body += c; });
    up.on('end', () => res.json({ esm: true, user: JSON.parse(body) }));
  }).on('error', (err) => res.status(502).json({ error: err.message }));
});
const server = createServer(app);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(JSON.stringify({ ready: true, port, rss: process.memoryUsage().rss }) + '\n');
});
