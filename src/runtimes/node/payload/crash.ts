/**
 * The crash itself, recorded: an uncaught exception, or an unhandled rejection under Node's default
 * `--unhandled-rejections=throw`, becomes one log record (severity FATAL when no handler of the app
 * will catch it and the process dies, ERROR when one will) carrying `exception.type`,
 * `exception.message` and `exception.stacktrace` and the trace/span ids of the span active where it was
 * thrown; that span gets the exception event and status ERROR, and ends (at once when the process
 * dies; otherwise when it ends as usual, or at exit at the latest).
 *
 * It listens on `uncaughtExceptionMonitor`, which Node calls before the app's `uncaughtException`
 * listeners and which is not a handler: the app's listeners alone decide whether the process dies.
 */
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';

export interface CrashProcess {
  on(event: 'uncaughtExceptionMonitor', listener: (err: unknown, origin: string) => void): unknown;
  listenerCount(event: string): number;
  hasUncaughtExceptionCaptureCallback?(): boolean;
}

interface Described {
  readonly type: string;
  readonly message: string;
  readonly stack: string | undefined;
}

function describe(err: unknown): Described {
  if (err instanceof Error) return { type: err.name, message: err.message, stack: err.stack };
  if (err !== null && typeof err === 'object') {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown };
    return {
      type: typeof e.name === 'string' ? e.name : 'Object',
      message: typeof e.message === 'string' ? e.message : String(err),
      stack: typeof e.stack === 'string' ? e.stack : undefined,
    };
  }
  return { type: typeof err, message: String(err), stack: undefined };
}

export interface CrashRecorder {
  /** Ends the spans a handled crash left open (called at exit). */
  endOpenSpans(): void;
  /** Stops recording (the preload stepped aside: the spans are the app's own SDK's then). */
  disable(): void;
}

function emitLog(logger: Logger | undefined, d: Described, origin: string, fatal: boolean): void {
  const attributes: Record<string, string> = { 'exception.type': d.type, 'exception.message': d.message };
  if (d.stack !== undefined) attributes['exception.stacktrace'] = d.stack;
  logger?.emit({
    severityNumber: fatal ? SeverityNumber.FATAL : SeverityNumber.ERROR,
    severityText: fatal ? 'FATAL' : 'ERROR',
    body: `${origin === 'unhandledRejection' ? 'Unhandled promise rejection' : 'Uncaught exception'}: ${d.type}: ${d.message}`,
    attributes,
    context: context.active(),
  });
}

function markSpan(err: unknown, d: Described, fatal: boolean, open: Set<Span>): void {
  const span = trace.getSpan(context.active());
  if (span === undefined || !span.isRecording()) return;
  span.recordException(err instanceof Error ? err : { name: d.type, message: d.message, stack: d.stack });
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${d.type}: ${d.message}` });
  if (fatal) {
    span.end();
    return;
  }
  for (const s of open) if (!s.isRecording()) open.delete(s); // ended as usual since: nothing left to do
  open.add(span);
}

export function installCrashRecording(proc: CrashProcess, logger: Logger | undefined): CrashRecorder {
  const open = new Set<Span>();
  let enabled = true;
  proc.on('uncaughtExceptionMonitor', (err, origin) => {
    if (!enabled) return;
    try {
      const fatal = proc.listenerCount('uncaughtException') === 0 && proc.hasUncaughtExceptionCaptureCallback?.() !== true;
      const d = describe(err);
      emitLog(logger, d, origin, fatal);
      markSpan(err, d, fatal, open);
    } catch {
      // never let the recording add a second failure to the app's
    }
  });
  return {
    endOpenSpans() {
      for (const span of open) {
        try {
          if (span.isRecording()) span.end();
        } catch {
          // as above
        }
      }
      open.clear();
    },
    disable() {
      enabled = false;
      open.clear();
    },
  };
}
