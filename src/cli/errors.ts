import { InjectorError } from '../errors.js';

/** Exit codes of the command line (README, section "Command line"). */
export const EXIT = Object.freeze({
  ok: 0,
  /** A check failed: doctor found a problem, preview --fail-on matched. */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** Unreadable or invalid input: a file, YAML, a values file, the configuration, the kubeconfig. */
  input: 3,
  /** The API server (or the webhook) could not be reached. */
  unreachable: 4,
  /** The API server refused: authentication or RBAC. */
  forbidden: 5,
  /** A bug: reported in one line, never as a stack trace. */
  internal: 70,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the command line reports as one line on stderr, with its exit code. */
export class CliError extends InjectorError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(code, message);
  }
}

export function usageError(message: string): CliError {
  return new CliError('CLI_USAGE', message, EXIT.usage);
}

export function inputError(message: string): CliError {
  return new CliError('CLI_INPUT', message, EXIT.input);
}
