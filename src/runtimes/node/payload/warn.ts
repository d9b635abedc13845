/** The single stderr channel of the preload: lines start with `otel-injector:`. */
export type Warn = (line: string) => void;

export function stderrWarn(write: (s: string) => unknown): Warn {
  return (line) => {
    write(`otel-injector: ${line}\n`);
  };
}
