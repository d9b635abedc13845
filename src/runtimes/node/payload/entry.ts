/** Is the application's entry point an ECMAScript module? (decides whether the off-thread loader is worth its cost) */
import { readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

export type ReadText = (path: string) => string | undefined;

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function packageType(start: string, read: ReadText): string | undefined {
  let dir = dirname(start);
  for (let i = 0; i < 64; i++) {
    const text = read(join(dir, 'package.json'));
    if (text !== undefined) {
      try {
        const type = (JSON.parse(text) as { type?: unknown }).type;
        return typeof type === 'string' ? type : undefined;
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/**
 * `.mjs`/`.mts` → yes; `.cjs`/`.cts` → no; otherwise the nearest package.json's "type"
 * (for `node .` or `node ./app`, a directory entry: its own package.json first).
 */
export function entryIsEsm(entry: string | undefined, read: ReadText = readText): boolean {
  if (entry === undefined || entry === '') return false;
  const ext = extname(entry);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  return packageType(join(entry, 'package.json'), read) === 'module' || packageType(entry, read) === 'module';
}
