#!/usr/bin/env node
// For BREAKDOWN=1 only: the baseline server (same fastify, pino, TLS, log level) with one more piece of
// the webhook's work per variant, to split the webhook's server CPU per review into layers.
//   VARIANT=answer  answers the webhook's own (precomputed) AdmissionReview: cost of the bigger answer
//   VARIANT=review  runs parseReview + reviewAdmission (dist/) and answers its review: cost of the review
// Neither writes a log line; the webhook itself (node dist/main.js) adds its logging and server layer.
import { readFileSync } from 'node:fs';
import Fastify, { LogController } from 'fastify';
import { pino } from 'pino';
import { parseReview } from '../../dist/admission/parse.js';
import { reviewAdmission } from '../../dist/admission/review.js';
import { parseConfig } from '../../dist/config/index.js';

const config = parseConfig({}, '0.1.0').inject;
const variant = process.env.VARIANT;
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: `breakdown-${variant}` } });
const app = Fastify({
  loggerInstance: logger,
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: 3 * 1024 * 1024,
  https: { cert: readFileSync(process.env.TLS_CERT_FILE, 'utf8'), key: readFileSync(process.env.TLS_KEY_FILE, 'utf8'), minVersion: 'TLSv1.2' },
});

let fixed;
app.post('/mutate', async (request) => {
  if (variant === 'answer') {
    fixed ??= reviewAdmission(parseReview(request.body), config).review;
    return { ...fixed, response: { ...fixed.response, uid: request.body.request.uid } };
  }
  return reviewAdmission(parseReview(request.body), config).review;
});
app.get('/healthz', async () => 'ok');
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
