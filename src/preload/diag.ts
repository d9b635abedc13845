/** Diagnostics: OTEL_LOG_LEVEL gives the SDK's own console logger; otherwise one line, once. */
import { format } from 'node:util';
import { diag, DiagConsoleLogger, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';

import type { Warn } from './warn.js';

function onceLogger(warn: Warn): DiagLogger {
  let said = false;
  const once = (message: string, ...args: unknown[]): void => {
    if (said) return;
    said = true;
    const text = format(message, ...args).replace(/\s+/g, ' ').slice(0, 300);
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
