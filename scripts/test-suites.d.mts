// Types for scripts/test-suites.mjs (the checklist test reads it).
export function suites(scripts: Record<string, string>): string[];
export function lanes(scripts: Record<string, string>, count: number): string[][];
