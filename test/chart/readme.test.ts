// The chart README documents every value in values.yaml, with its default.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir } from './lib/render.js';

// Free-form Kubernetes objects documented as one row.
const WHOLE = new Set(['resources', 'podSecurityContext', 'securityContext', 'payload.resources', 'controller.resources']);

function leaves(value: unknown, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    const nested = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !WHOLE.has(path);
    if (nested) out.push(...leaves(v, path));
    else out.push([path, v]);
  }
  return out;
}

function readmeRows(readme: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const m = /^\| `([^`]+)` \| ([^|]*) \|/.exec(line);
    if (m !== null) rows.set(m[1] as string, (m[2] as string).trim());
  }
  return rows;
}

function shownDefault(def: unknown): string | undefined {
  if (typeof def !== 'string' && typeof def !== 'number' && typeof def !== 'boolean') return undefined;
  return def === '' ? '`""`' : `\`${String(def)}\``;
}

void t.test('README.md has a row for every value, showing scalar defaults', async (t) => {
  const values: unknown = parse(await readFile(join(chartDir, 'values.yaml'), 'utf8'));
  const rows = readmeRows(await readFile(join(chartDir, 'README.md'), 'utf8'));
  const all = leaves(values);
  t.ok(all.length > 50, `${all.length} values`);
  for (const [path, def] of all) {
    const row = rows.get(path);
    t.ok(row !== undefined, `${path} is documented`);
    const shown = shownDefault(def);
    if (row !== undefined && shown !== undefined) t.equal(row, shown, `${path}: README default matches values.yaml`);
  }
  for (const path of rows.keys()) {
    t.ok(all.some(([p]) => p === path), `README row ${path} is a real value`);
  }
});
