/** Everything a command touches outside itself; src/cli/main.ts builds the real one, tests their own. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Terminal width for tables (undefined when stdout is not a terminal). */
  readonly columns: number | undefined;
  readonly version: string;
  now(): Date;
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
}
