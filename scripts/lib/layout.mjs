// The layout rules of the house style that a linter does not check: no import cycle among source modules, no
// source file over a line limit unless it is on an explicit allow-list (with the size it may not grow past).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const SOURCE = /\.(ts|mts|cts)$/;

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `./x.js` as TypeScript writes it for `./x.ts` (or a folder's index.ts); undefined when not a file of ours. */
function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, `${stem}.cts`, join(base, 'index.ts')];
  return candidates.find((path) => SOURCE.test(path) && existsSync(path) && statSync(path).isFile());
}

/**
 * The import graph of the TypeScript files under `dir`: file -> files it imports. Every import counts (static,
 * `import type`, `export ... from`, dynamic `import()`): a type-only cycle still ties two modules together.
 */
export function importGraph(dir) {
  const graph = new Map();
  for (const file of walk(dir)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((ref) => resolveSpecifier(file, ref.fileName)).filter((path) => path !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components with a cycle (Tarjan), each as one cycle through it, paths as given. */
export function findCycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  let next = 0;
  const connect = (node) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node), low.get(target)));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node), index.get(target)));
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component);
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components.map((component) => cycleThrough(graph, new Set(component)));
}

/** One cycle inside a component, from its first node (sorted) back to it: [a, b, ..., a]. */
function cycleThrough(graph, members) {
  const start = [...members].sort()[0];
  const parent = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at = node; at !== start; at = parent.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!parent.has(target)) {
        parent.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

const COUNTED = /\.(ts|mts|cts|js|mjs|cjs|py|sh)$/;

function lineCount(path) {
  const text = readFileSync(path, 'utf8');
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/**
 * The allow-list, one entry a line, `#` comments: `path lines` (a file over the limit, and the size it may not grow
 * past) or `cycle path path...` (the files of one import cycle still to be broken).
 */
export function parseAllowList(text) {
  const sizes = new Map();
  const cycles = new Set();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [first, ...rest] = line.split(/\s+/);
    if (first === 'cycle' && rest.length > 0) cycles.add(cycleKey(rest));
    else if (rest.length === 1 && /^\d+$/.test(rest[0])) sizes.set(first, Number(rest[0]));
    else throw new Error(`allow-list: "${raw}": expected "path lines" or "cycle path path..."`);
  }
  return { sizes, cycles };
}

/** A cycle's identity: its files, sorted (a cycle printed from another start is the same cycle). */
export const cycleKey = (files) => [...new Set(files)].sort().join(' ');

/** Cycles not on the allow-list, and allowed cycles that are gone (stale entries). */
export function cycleProblems(cycles, allowed) {
  const keys = new Set(cycles.map(cycleKey));
  const found = cycles.filter((cycle) => !allowed.has(cycleKey(cycle))).map((cycle) => `import cycle: ${cycle.join(' -> ')}`);
  const stale = [...allowed].filter((key) => !keys.has(key)).map((key) => `import cycle on the allow-list is gone: remove "cycle ${key}"`);
  return [...found, ...stale];
}

/**
 * Problems with file sizes: `files` (paths relative to `root`) over `limit` lines and not allowed, allowed ones
 * grown past their recorded size, and allow-list entries that are gone or back under the limit (stale).
 */
export function sizeProblems(root, files, limit, allowed) {
  const problems = [];
  const seen = new Set();
  for (const file of files.filter((f) => COUNTED.test(f)).sort()) {
    const lines = lineCount(join(root, file));
    const cap = allowed.get(file);
    if (cap !== undefined) seen.add(file);
    if (lines <= limit) {
      if (cap !== undefined) problems.push(`${file}: ${lines} lines, under ${limit} now: remove it from the allow-list`);
    } else if (cap === undefined) problems.push(`${file}: ${lines} lines, over ${limit}: split it (one module per concern)`);
    else if (lines > cap) problems.push(`${file}: ${lines} lines, grew past its allowed ${cap}: split it instead`);
  }
  for (const file of allowed.keys()) if (!seen.has(file)) problems.push(`${file}: on the allow-list but not a file any more: remove it`);
  return problems;
}

export const relativeTo = (root) => (path) => relative(root, path);
