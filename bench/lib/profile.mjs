// Summarises a V8 .cpuprofile (from --cpu-prof): share of samples by function, self and inclusive.
import { readFileSync } from 'node:fs';

function label(node, root) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(`file://${root}/`, '').replace(`${root}/`, '');
  return `${functionName || '(anonymous)'} ${where}${where === '' ? '' : `:${lineNumber + 1}`}`;
}

const add = (map, key, count) => map.set(key, (map.get(key) ?? 0) + count);

/** Adds `count` samples at node `id` to its own label (self) and once to each distinct label up its stack (inclusive). */
function tally(id, count, { byId, parent, root, self, inclusive }) {
  add(self, label(byId.get(id), root), count);
  const seen = new Set();
  for (let current = id; current !== undefined; current = parent.get(current)) {
    const name = label(byId.get(current), root);
    if (!seen.has(name)) add(inclusive, name, count);
    seen.add(name);
  }
}

/** Returns { samples, self: [[label, share]], inclusive: [[label, share]] }, biggest first. */
export function summariseProfile(file, root, top = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const hits = new Map();
  for (const id of profile.samples) add(hits, id, 1);
  const tables = { byId, parent, root, self: new Map(), inclusive: new Map() };
  for (const [id, count] of hits) tally(id, count, tables);
  const total = profile.samples.length;
  const rank = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, count]) => [name, count / total]);
  return { samples: total, self: rank(tables.self), inclusive: rank(tables.inclusive) };
}
