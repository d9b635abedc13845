// Types for the parts of build.mjs the tests and the benchmark use.
export const MINORS: string[];
export interface Interpreter { python: string; minor: string; full: string; machine: string }
export function findInterpreters(minors: string[], options?: { allowMissing?: boolean; log?: (line: string) => void }): Map<string, Interpreter>;
export function build(out: string, options?: { quiet?: boolean; allowMissing?: boolean; log?: (line: string) => void }): Promise<{ files: number; bytes: number; versions: string[] }>;
export class BuildError extends Error {}
