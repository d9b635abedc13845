#!/usr/bin/env node
// The otel-injector command line (also `kubectl otel-injector` as kubectl-otel_injector). The only file of
// src/cli that reads process.env / argv and exits; everything else gets a CliIo.
import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import type { CliIo } from './io.js';
import { run } from './run.js';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const io: CliIo = {
  env: process.env,
  cwd: process.cwd(),
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  version: readVersion(),
  now: () => new Date(),
  stdout: (chunk) => void process.stdout.write(chunk),
  stderr: (chunk) => void process.stderr.write(chunk),
  readStdin: () => text(process.stdin),
};

const code = await run(process.argv.slice(2), io);
// Let stdout drain (a pipe may still hold output), then exit with the code.
process.stdout.write('', () => process.exit(code));
