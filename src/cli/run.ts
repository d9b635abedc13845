import { HELP, parseCommandLine } from './args.js';
import { CliError, EXIT } from './errors.js';
import type { CliIo } from './io.js';

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(argv);
  switch (parsed.command) {
    case 'help':
      io.stdout(HELP);
      return EXIT.ok;
    case 'version':
      io.stdout(`otel-injector ${io.version}\n`);
      return EXIT.ok;
    case 'preview':
      return (await import('./preview.js')).runPreview(parsed.values, io);
    case 'status':
      return (await import('./status.js')).runStatus(parsed.values, io);
    case 'doctor':
      return (await import('./doctor.js')).runDoctor(parsed.values, io);
    case 'selftest':
      return (await import('./selftest.js')).runSelftest(parsed.values, io);
  }
}

/**
 * Runs one command line and returns the exit code. Never throws: a CliError is one line on stderr with
 * its code; anything else is a bug, reported in one line (the stack only with OTEL_INJECTOR_DEBUG=1).
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`otel-injector: ${error.message}\n`);
      return error.exitCode;
    }
    const detail = io.env.OTEL_INJECTOR_DEBUG === '1' && error instanceof Error ? `\n${error.stack ?? ''}` : '';
    io.stderr(`otel-injector: internal error: ${error instanceof Error ? error.message : String(error)}${detail}\n`);
    return EXIT.internal;
  }
}
