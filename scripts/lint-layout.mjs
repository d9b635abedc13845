#!/usr/bin/env node
// Part of `npm run lint`: no import cycle among the TypeScript modules of src/, and no file under src/ or test/
// over LIMIT lines, except what scripts/layout-allow.txt lists (a file at most the size recorded there, a cycle
// still to be broken); an entry that no longer applies fails too, so the list only shrinks.
// Usage: node scripts/lint-layout.mjs [--root DIR] (DIR defaults to the repository; tests point it elsewhere).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cycleProblems, findCycles, importGraph, parseAllowList, relativeTo, sizeProblems } from './lib/layout.mjs';

const LIMIT = 300;
const { values } = parseArgs({ options: { root: { type: 'string' } } });
const root = values.root ?? join(import.meta.dirname, '..');
const rel = relativeTo(root);

const allowFile = join(root, 'scripts', 'layout-allow.txt');
const allowed = parseAllowList(existsSync(allowFile) ? readFileSync(allowFile, 'utf8') : '');

const cycles = cycleProblems(findCycles(importGraph(join(root, 'src'))).map((cycle) => cycle.map(rel)), allowed.cycles);
for (const problem of cycles) console.error(problem);

// tracked and new (not ignored) files, so build output and dependencies are never counted
const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', 'src', 'test'], { cwd: root, encoding: 'utf8' });
const files = listed.split('\n').filter((file) => file !== '' && existsSync(join(root, file)));
const sizes = sizeProblems(root, files, LIMIT, allowed.sizes);
for (const problem of sizes) console.error(`file size: ${problem}`);

if (cycles.length > 0 || sizes.length > 0) {
  console.error(`lint-layout: ${cycles.length} import cycle problem(s), ${sizes.length} file size problem(s) (house rules: no import cycles, files under ~${LIMIT} lines)`);
  process.exit(1);
}
console.log(`lint-layout: no import cycle in ${rel(join(root, "src"))}/ and no file over ${LIMIT} lines beyond scripts/layout-allow.txt (${allowed.sizes.size} files, ${allowed.cycles.size} cycle(s) listed)`);
