// Types for the parts of build.mjs the tests and the benchmark use.
export interface Pin { group: string; artifact: string; version: string; sha256: string; file: string }
export const LAUNCHER_FILE: string;
export function readPin(): Pin;
export function artifactUrl(pin: Pin, repo?: string): string;
export function cachedAgent(options?: { log?: (line: string) => void }): Promise<string>;
export function cachedLauncher(options?: { log?: (line: string) => void }): string;
export const PARTS: readonly ['agent', 'launcher'];
export function buildJava(out: string, options?: { quiet?: boolean; only?: 'agent' | 'launcher' }): Promise<string>;
export class BuildError extends Error {}
export function build(out: string, options?: { quiet?: boolean }): Promise<string>;
