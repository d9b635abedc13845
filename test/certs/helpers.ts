// Shared helpers for certificate tests: a capturing pino logger, a settable clock and
// HTTPS round trips that trust only a given CA.
import { Writable } from 'node:stream';
import { request, type Agent } from 'node:https';
import { pino, type Logger } from 'pino';
import type { CertConfig } from '../../src/config/index.js';
import { TestClock } from '../support/clock.js';

export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: string[];
  text(): string;
}

/** A real pino logger at trace level writing into memory. */
export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines, text: () => lines.join('') };
}

/** The certificate code also waits on real timers: its clock's monotonic time is the real one. */
export function certClock(at: Date = new Date()): TestClock {
  return new TestClock({ at, realMonotonic: true });
}

export interface GetResult {
  readonly status: number;
  readonly body: string;
  /** Serial number of the certificate the server presented. */
  readonly serial: string;
}

/** GET over HTTPS trusting only `ca`, verifying the hostname; rejects on any TLS failure. */
export function httpsGet(
  port: number,
  ca: string,
  options: { servername?: string; agent?: Agent | false; path?: string } = {},
): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        ca,
        rejectUnauthorized: true,
        servername: options.servername ?? 'localhost',
        agent: options.agent ?? false,
        headers: { host: options.servername ?? 'localhost' },
      },
      (res) => {
        const serial = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export const DAY_MS = 86_400_000;
export const TEST_MWC = 'otel-injector';

/** A self-managed CertConfig for tests: serving certificates live 1 day (the CA 10); checks are driven by the test. */
export const selfManagedConfig: CertConfig = Object.freeze({
  mode: 'self-managed',
  certFile: undefined,
  keyFile: undefined,
  secretName: 'otel-injector-tls',
  namespace: 'otel-injector',
  serviceName: 'otel-injector',
  webhookConfigName: TEST_MWC,
  validityDays: 1,
  checkIntervalSeconds: 3600,
});
