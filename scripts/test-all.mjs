#!/usr/bin/env node
// Runs every test suite the project has and ends with one line: "N passed, N failed".
// Each suite is a package.json script running tap; its closing "# { total, pass, fail }" line is counted.
// A suite that exits non-zero without a counted failure (a crash, a build error) counts as one failure.
// The suites (scripts/test-suites.mjs) run in three lanes side by side (TEST_LANES=2 or 1: fewer);
// each output line is prefixed with its suite's name.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lanes } from './test-suites.mjs';

const scripts = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts;
const laneCount = Math.min(3, Math.max(1, Number(process.env.TEST_LANES ?? 3)));

function run(script, prefix = '', command = ['npm', 'run', '--silent', script]) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let summary;
    const tails = { out: '', err: '' };
    const forward = (stream, key, into) => {
      let partial = '';
      stream.on('data', (chunk) => {
        const text = partial + chunk.toString();
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) into.write(`${prefix}${line}\n`);
        if (key === 'out') {
          tails.out = (tails.out + chunk.toString()).slice(-4096);
          const matches = [...tails.out.matchAll(/^# (\{ total: \d+.*\})$/gm)];
          if (matches.length > 0) summary = matches.at(-1)[1];
        }
      });
      stream.on('end', () => { if (partial !== '') into.write(`${prefix}${partial}\n`); });
    };
    forward(child.stdout, 'out', process.stdout);
    forward(child.stderr, 'err', process.stderr);
    child.on('close', (code) => resolve({ code, summary, seconds: Math.round((Date.now() - started) / 1000) }));
  });
}

function count(summary, key) {
  const match = new RegExp(`${key}: (\\d+)`).exec(summary ?? '');
  return match ? Number(match[1]) : 0;
}

const t0 = Date.now();
const build = await run('build', '', [process.execPath, 'scripts/build-if-stale.mjs']);
if (build.code !== 0) {
  console.log('build failed\n0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
const lines = [];
// Lint (complexity, floating promises, return types, ruff, import cycles) counts as one check.
const lint = await run('lint', '[lint] ');
passed += lint.code === 0 ? 1 : 0;
failed += lint.code === 0 ? 0 : 1;
lines.push(`lint: exit ${lint.code}, ${lint.seconds}s`);

async function lane(list) {
  for (const suite of list) {
    const name = suite.replace(/^test:/, '');
    console.log(`\n=== ${suite}`);
    const result = await run(suite, laneCount > 1 ? `[${name}] ` : '');
    const pass = count(result.summary, 'pass');
    let fail = count(result.summary, 'fail');
    if (result.code !== 0 && fail === 0) fail = 1;
    passed += pass;
    failed += fail;
    lines.push(`${suite}: ${pass} passed, ${fail} failed, exit ${result.code}, ${result.seconds}s`);
    console.log(`=== ${suite}: ${pass} passed, ${fail} failed, ${result.seconds}s`);
  }
}
await Promise.all(lanes(scripts, laneCount).map(lane));
console.log('\n=== summary');
for (const line of lines) console.log(line);
console.log(`total ${Math.round((Date.now() - t0) / 1000)}s in ${laneCount} lane(s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
