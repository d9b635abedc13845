// Runs the command line in-process with a recorded CliIo, or as the built executable (dist/cli/main.js).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { CliIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { repoRoot } from '../support/tools.js';

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const FIXED_NOW = new Date('2026-11-26T08:00:00Z');

export async function cli(argv: readonly string[], options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: options.env ?? {},
    cwd: options.cwd ?? repoRoot,
    columns: undefined,
    version: '0.1.0',
    now: () => FIXED_NOW,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: () => Promise.resolve(options.stdin ?? ''),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

export const cliBin = join(repoRoot, 'dist', 'cli', 'main.js');

/** The built executable, run through its shebang; never throws on a non-zero exit. */
export function cliProcess(argv: readonly string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(cliBin, [...argv], { env: { PATH: process.env.PATH, ...env }, cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

export type Obj = Record<string, any>;

export function yamlDocs(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

export function envOf(pod: Obj, container: string, name: string): string | undefined {
  const c = (pod.spec?.containers ?? []).find((x: Obj) => x.name === container);
  return (c?.env ?? []).filter((e: Obj) => e.name === name).at(-1)?.value;
}

export function attributes(pod: Obj, container: string): Record<string, string> {
  const text = envOf(pod, container, 'OTEL_RESOURCE_ATTRIBUTES') ?? '';
  return Object.fromEntries(text.split(',').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), decodeURIComponent(p.slice(p.indexOf('=') + 1))]));
}

export const fixture = (name: string): string => join(repoRoot, 'test', 'cli', 'fixtures', name);
