#!/usr/bin/env node
// Runs every test suite the project has, in order, and ends with one line: "N passed, N failed".
// Each suite is a package.json script running tap; its closing "# { total, pass, fail }" line is counted.
// A suite that exits non-zero without a counted failure (a crash, a build error) counts as one failure.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SUITES = ['test:unit', 'test:chart', 'test:cli', 'test:node', 'test:webhook-lines', 'test:python-unit', 'test:python', 'test:e2e', 'test:node-e2e', 'test:images'];
const scripts = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts;

function run(script) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let summary;
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4096);
      const matches = [...tail.matchAll(/^# (\{ total: \d+.*\})$/gm)];
      if (matches.length > 0) summary = matches.at(-1)[1];
    });
    child.on('close', (code) => resolve({ code, summary, seconds: Math.round((Date.now() - started) / 1000) }));
  });
}

function count(summary, key) {
  const match = new RegExp(`${key}: (\\d+)`).exec(summary ?? '');
  return match ? Number(match[1]) : 0;
}

const build = await run('build');
if (build.code !== 0) {
  console.log('build failed\n0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
const lines = [];
// Lint (complexity, floating promises, return types) counts as one check.
const lint = await run('lint');
passed += lint.code === 0 ? 1 : 0;
failed += lint.code === 0 ? 0 : 1;
lines.push(`lint: exit ${lint.code}, ${lint.seconds}s`);
for (const suite of SUITES) {
  if (scripts[suite] === undefined) continue;
  console.log(`\n=== ${suite}`);
  const result = await run(suite);
  const pass = count(result.summary, 'pass');
  let fail = count(result.summary, 'fail');
  if (result.code !== 0 && fail === 0) fail = 1;
  passed += pass;
  failed += fail;
  lines.push(`${suite}: ${pass} passed, ${fail} failed, exit ${result.code}, ${result.seconds}s`);
}
console.log('\n=== summary');
for (const line of lines) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
