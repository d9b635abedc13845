import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { inputError } from './errors.js';
import type { CliIo } from './io.js';

export type KubeObject = Record<string, unknown> & {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; [key: string]: unknown };
};

/** One object read from the input, with where it came from (for messages). */
export interface SourcedObject {
  readonly object: KubeObject;
  /** `file` or `file#3` (document index, 1-based) or `file#3.items[2]`. */
  readonly source: string;
}

/** The first line of a yaml error without its ` at line N, column M:` tail (the location is printed first). */
export function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses YAML or JSON text (several documents allowed); errors name the file, line and column. */
export function parseManifestText(text: string, name: string): SourcedObject[] {
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: false });
  const list = Array.isArray(documents) ? documents : [documents];
  const out: SourcedObject[] = [];
  list.forEach((document, index) => {
    const error = document.errors[0];
    if (error !== undefined) {
      const at = error.linePos?.[0];
      const where = at === undefined ? name : `${name}:${at.line}:${at.col}`;
      throw inputError(`${where}: YAML syntax error: ${yamlMessage(error.message)}`);
    }
    const value: unknown = document.toJS({ maxAliasCount: 1000 });
    const source = list.length > 1 ? `${name}#${index + 1}` : name;
    if (value === null || value === undefined) return;
    if (!isObject(value)) throw inputError(`${source}: not a Kubernetes object (a ${Array.isArray(value) ? 'list' : typeof value})`);
    out.push(...flattenLists(value, source));
  });
  return out;
}

/** `kind: List` (and any `*List` with items) becomes its items. */
function flattenLists(object: KubeObject, source: string): SourcedObject[] {
  const isList = typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items);
  if (!isList) return [{ object, source }];
  return (object.items as unknown[]).flatMap((item, index) =>
    isObject(item) ? flattenLists(item, `${source}.items[${index}]`) : [],
  );
}

/** Reads each -f argument (`-` is standard input); a missing or unreadable file is an input error. */
export async function readManifests(files: readonly string[], io: CliIo): Promise<SourcedObject[]> {
  const all: SourcedObject[] = [];
  for (const file of files) {
    const text = file === '-' ? await io.readStdin() : await readText(resolve(io.cwd, file), file);
    all.push(...parseManifestText(text, file === '-' ? '<stdin>' : file));
  }
  return all;
}

export async function readText(path: string, shown: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code ?? error);
    throw inputError(`cannot read ${shown}: ${why}`);
  }
}
