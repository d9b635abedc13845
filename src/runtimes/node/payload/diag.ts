/** Diagnostics: OTEL_LOG_LEVEL gives the SDK's own console logger; otherwise one line, once. */
import { format } from 'node:util';
import { diag, DiagConsoleLogger, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';

import type { Warn } from './warn.js';

/**
 * Upstream's error handler logs an exception as its JSON (`{"stack":…,"message":…,"name":…}`): the line says
 * `<name>: <message>` instead (a TLS failure then reads "Error: unable to verify the first certificate").
 */
function readable(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const parsed = JSON.parse(message) as { message?: unknown; name?: unknown; code?: unknown };
    if (typeof parsed.message !== 'string') return message;
    const name = typeof parsed.name === 'string' ? parsed.name : 'Error';
    return `${name}: ${parsed.message}${typeof parsed.code === 'string' ? ` (${parsed.code})` : ''}`;
  } catch {
    return message;
  }
}

function onceLogger(warn: Warn): DiagLogger {
  let said = false;
  const once = (message: string, ...args: unknown[]): void => {
    if (said) return;
    said = true;
    const text = format(readable(message), ...args).replace(/\s+/g, ' ').slice(0, 300);
    warn(`telemetry problem: ${text} (further messages suppressed; OTEL_LOG_LEVEL=debug shows them)`);
  };
  const ignore = (): void => undefined;
  return { error: once, warn: ignore, info: ignore, debug: ignore, verbose: ignore };
}

export function installDiag(level: string | undefined, warn: Warn): void {
  if (level !== undefined && level.trim() !== '') {
    const logLevel = diagLogLevelFromString(level) ?? DiagLogLevel.INFO;
    diag.setLogger(new DiagConsoleLogger(), { logLevel, suppressOverrideMessage: true });
    return;
  }
  diag.setLogger(onceLogger(warn), { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true });
}
