// CommonJS express app. GET /users/:id answers JSON; GET /api/users/:id calls BACKEND_URL/users/:id
// over HTTP (a second instrumented process) and wraps the answer. GET /hello is a trivial route.
const http = require('node:http');
const express = require('express');
const ready = require('./ready.cjs');

const app = express();
app.use(express.json());
app.get('/hello', (_req, res) => { res.send('hello'); });
app.get('/users/:id', (req, res) => { res.json({ id: req.params.id, name: `user-${req.params.id}` }); });
app.get('/api/users/:id', (req, res) => {
  http.get(`${process.env.BACKEND_URL}/users/${encodeURIComponent(req.params.id)}`, (up) => {
    let body = '';
    up.on('data', (c) => { body += c; });
    up.on('end', () => res.json({ via: 'frontend', user: JSON.parse(body) }));
  }).on('error', (err) => res.status(502).json({ error: err.message }));
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
