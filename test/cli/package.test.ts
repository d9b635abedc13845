// The executable as shipped: the package's bin entries, and every package the built CLI imports is a
// production dependency (the webhook image installs only those: Dockerfile runtime-deps + COPY of dist/).
import t from 'tap';
import { readFile, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../support/tools.js';
import { cliBin } from './helpers.js';

const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; dependencies: Record<string, string> };

void t.test('bin: otel-injector and kubectl-otel_injector are the built, executable CLI with a node shebang', async (t) => {
  t.same(pkg.bin, { 'otel-injector': 'dist/cli/main.js', 'kubectl-otel_injector': 'dist/cli/main.js' });
  const mode = (await stat(cliBin)).mode;
  t.ok((mode & 0o111) !== 0, 'executable');
  t.match(await readFile(cliBin, 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

void t.test('every package the CLI loads is in dependencies (what the webhook image installs)', async (t) => {
  const result = await build({ entryPoints: [cliBin], bundle: true, platform: 'node', format: 'esm', packages: 'external', write: false, metafile: true, logLevel: 'silent' });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path));
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const packages = [...new Set(imports.filter((p) => !builtins.has(p)).map((p) => (p.startsWith('@') ? p.split('/').slice(0, 2).join('/') : p.split('/')[0] ?? p)))].sort();
  t.ok(packages.includes('yaml') && packages.includes('@kubernetes/client-node') && packages.includes('fast-json-patch'), packages.join(', '));
  for (const name of packages) t.ok(pkg.dependencies[name], `${name} is a production dependency`);
  const dockerfile = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
  t.match(dockerfile, /^COPY --from=build \/out\/dist \.\/dist$/m, 'the webhook image gets all of dist/, dist/cli included');
  t.match(dockerfile, /npm ci --omit=dev/, 'and the production dependencies');
});
