// Builds the real fastify app for tests, with a logger whose JSON lines are captured and parsed.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { TlsMaterial } from '../../src/certs/types.js';
import { systemClock } from '../../src/clock.js';
import type { Config } from '../../src/config/index.js';
import { buildApp, type AppDeps, type Readiness } from '../../src/server/app.js';
import { noopTelemetry, type Telemetry } from '../../src/telemetry/types.js';
import { testConfig } from './admission.js';

export interface TestApp {
  readonly app: FastifyInstance;
  /** Every log line written so far, parsed. */
  logs(): Array<Record<string, unknown>>;
  /** Every log line as raw text, to search for things that must never be logged. */
  rawLogs(): string;
}

export async function testApp(
  options: { config?: Config; readiness?: Readiness; telemetry?: Telemetry; tls?: TlsMaterial; deliverySupport?: AppDeps['deliverySupport'] } = {},
): Promise<TestApp> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const app = await buildApp(options.config ?? testConfig(), {
    logger,
    clock: systemClock,
    telemetry: options.telemetry ?? noopTelemetry,
    readiness: options.readiness ?? { isReady: () => true },
    tls: options.tls,
    deliverySupport: options.deliverySupport,
  });
  return {
    app,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    rawLogs: () => lines.join(''),
  };
}
