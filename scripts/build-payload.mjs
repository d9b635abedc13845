#!/usr/bin/env node
// Builds every runtime's payload: src/runtimes/<name>/build.mjs exports build(outDir, options), and its
// output lands in dist/payload/<name>/ (the init image carries the same tree under /otel-payload/).
// The runtimes are the folders of src/runtimes that have a build.mjs (test/runtimes/checklist.test.ts
// checks they are exactly the webhook's registry).
// Usage: node scripts/build-payload.mjs [--quiet] [--only name,name] [--skip name,name] [--allow-missing-python]
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runtimesDir = join(root, 'src', 'runtimes');

/** The runtime folders that build a payload, sorted by name. */
export function payloadRuntimes() {
  return readdirSync(runtimesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(runtimesDir, entry.name, 'build.mjs')))
    .map((entry) => entry.name)
    .sort();
}

function listArg(flag) {
  const i = process.argv.indexOf(flag);
  return i < 0 ? undefined : (process.argv[i + 1] ?? '').split(',').filter(Boolean);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const only = listArg('--only');
  const skip = listArg('--skip') ?? [];
  const quiet = process.argv.includes('--quiet');
  const names = payloadRuntimes().filter((name) => (only === undefined || only.includes(name)) && !skip.includes(name));
  const unknown = [...(only ?? []), ...skip].filter((name) => !payloadRuntimes().includes(name));
  if (unknown.length > 0) {
    console.error(`build-payload: no runtime folder src/runtimes/${unknown[0]}/build.mjs`);
    process.exit(1);
  }
  for (const name of names) {
    const { build } = await import(pathToFileURL(join(runtimesDir, name, 'build.mjs')).href);
    try {
      await build(join(root, 'dist', 'payload', name), { quiet, allowMissing: process.argv.includes('--allow-missing-python') });
    } catch (err) {
      console.error(`build-payload: ${name}: ${err.message}`);
      process.exit(1);
    }
  }
}
