#!/usr/bin/env node
// The baseline: a bare fastify HTTPS server with the webhook's fastify and pino, the same certificate and
// key, the same log level and body limit, no request logging (as the webhook). POST /mutate parses the
// JSON body with fastify's default parser and answers a fixed allowed AdmissionReview (echoing the uid,
// which kube-apiserver requires). It writes no log line per request: the webhook's one line per review
// is part of the cost it is measured against.
// Env: PORT, HOST (default 127.0.0.1), TLS_CERT_FILE, TLS_KEY_FILE, LOG_LEVEL (default info).
import { readFileSync } from 'node:fs';
import Fastify, { LogController } from 'fastify';
import { pino } from 'pino';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'baseline' } });
const app = Fastify({
  loggerInstance: logger,
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: 3 * 1024 * 1024,
  https: {
    cert: readFileSync(process.env.TLS_CERT_FILE, 'utf8'),
    key: readFileSync(process.env.TLS_KEY_FILE, 'utf8'),
    minVersion: 'TLSv1.2',
  },
});

app.post('/mutate', async (request) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: request.body?.request?.uid ?? '', allowed: true },
}));
app.get('/healthz', async () => 'ok');

await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
logger.info({ port: Number(process.env.PORT) }, 'baseline serving');
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
