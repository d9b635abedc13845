// Adding a runtime is one folder: this test fails, naming what is missing, until every place that must know a
// runtime knows each one in the registry (src/runtimes/index.ts). What it checks is the list in CONTRIBUTING.md.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_RUNTIME_NAMES, RUNTIME_NAMES, RUNTIMES } from '../../src/runtimes/index.js';
import { CHART_DEFAULTS } from '../../src/cli/values.js';
import { payloadRuntimes } from '../../scripts/build-payload.mjs';
import { suites } from '../../scripts/test-suites.mjs';
import { repoRoot } from '../support/tools.js';

const root = repoRoot;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const folder = (name: string): string => join(root, 'src', 'runtimes', name);
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

t.test('the registry and the runtime folders agree', async (t) => {
  const folders = readdirSync(join(root, 'src', 'runtimes'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  t.same(folders, [...RUNTIME_NAMES].sort(), 'one folder under src/runtimes/ per registered runtime, nothing else');
  t.same(payloadRuntimes(), [...RUNTIME_NAMES].sort(), 'scripts/build-payload.mjs builds exactly the registered runtimes');
  t.same(RUNTIMES.map((r) => r.variable).length, new Set(RUNTIMES.map((r) => r.variable)).size, 'each runtime has its own variable');
});

for (const runtime of RUNTIMES) {
  const { name } = runtime;
  t.test(`runtime ${name}`, async (t) => {
    for (const part of ['runtime.ts', 'build.mjs']) t.ok(existsSync(join(folder(name), part)), `src/runtimes/${name}/${part}`);
    for (const dir of ['payload', 'test']) t.ok(existsSync(join(folder(name), dir)) && statSync(join(folder(name), dir)).isDirectory(), `src/runtimes/${name}/${dir}/`);
    const tests = existsSync(join(folder(name), 'test')) ? readdirSync(join(folder(name), 'test')).filter((f) => f.endsWith('.test.ts')) : [];
    t.ok(tests.length > 0, `src/runtimes/${name}/test/ holds tap tests (${tests.length})`);

    const module = (await import(pathToFileURL(join(folder(name), 'runtime.ts')).href)) as Record<string, unknown>;
    t.ok(Object.values(module).includes(runtime), `src/runtimes/${name}/runtime.ts exports the registered runtime`);
    const build = (await import(pathToFileURL(join(folder(name), 'build.mjs')).href)) as Record<string, unknown>;
    t.equal(typeof build.build, 'function', `src/runtimes/${name}/build.mjs exports build(outDir, options)`);
    t.ok(runtime.entry({ mountPath: '/m' }).includes(`/m/${name}`), `its entry reads the payload from its own folder <mount>/${name}`);

    const dockerfile = read('Dockerfile');
    const stage = dockerfile.slice(dockerfile.search(/^FROM \S+ AS payload$/m));
    t.match(stage, new RegExp(`^COPY --from=\\S+ \\S+ /otel-payload/${name}/$`, 'm'), `the Dockerfile's payload stage copies ${name}/`);
    t.match(stage, new RegExp(`^CMD \\[.*"/otel-payload/${name}"`, 'm'), `the payload image's CMD copies ${name}/`);

    t.ok(scripts[`test:${name}`] !== undefined, `package.json has test:${name}`);
    t.ok(suites(scripts).includes(`test:${name}`), `npm test runs test:${name}`);
    t.ok(existsSync(join(root, 'docs', `${name}.md`)), `docs/${name}.md`);
    t.match(read('README.md'), new RegExp(`\\]\\(docs/${name}\\.md\\)`), `README.md links docs/${name}.md`);
    t.match(read('CONTRIBUTING.md'), /src\/runtimes\/<name>\//, 'CONTRIBUTING.md says how');
  });
}

t.test('the chart and the CLI offer exactly the registered runtimes', async (t) => {
  const schema = JSON.parse(read('charts/otel-injector/values.schema.json')) as { properties: { inject: { properties: { runtimes: { items: { enum: string[] } } } } } };
  t.same(schema.properties.inject.properties.runtimes.items.enum, RUNTIME_NAMES, 'values.schema.json inject.runtimes enum');
  const values = parse(read('charts/otel-injector/values.yaml')) as { inject: { runtimes: string[] } };
  // (java is registered but opt-in: DEFAULT_RUNTIME_NAMES, docs/java.md)
  t.same(values.inject.runtimes, DEFAULT_RUNTIME_NAMES, 'values.yaml inject.runtimes default: every runtime on by default');
  t.same((CHART_DEFAULTS.inject as { runtimes: string[] }).runtimes, DEFAULT_RUNTIME_NAMES, 'the CLI\'s chart defaults');
  const row = read('charts/otel-injector/README.md').split('\n').find((line) => line.startsWith('| `inject.runtimes` |')) ?? '';
  for (const name of RUNTIME_NAMES) t.match(row, new RegExp(`\`${name}\``), `the chart README's inject.runtimes row names ${name}`);
});
