#!/usr/bin/env node
// Builds the Node.js payload into dist/payload/node/ (see docs/node.md, "Layout"):
//   register.cjs            entry for --require: reads the OTEL_* config, then requires sdk.cjs (tiny)
//   sdk.cjs                 the SDK, exporters, resource detection, and the @opentelemetry packages shared
//                           with the instrumentation files (exposed as lazy getters on `shared`)
//   instrumentations/*.cjs  one file per instrumentation, read only when enabled; their @opentelemetry
//                           imports resolve to sdk.cjs's single copy
//   iitm/                   import-in-the-middle, NOT bundled into the others: its loader's generated
//                           wrapper modules import iitm's own lib/register.js from disk, so the Hook
//                           registry the instrumentations use must be that same on-disk module (a bundled
//                           copy is a second registry the loader never calls: ESM imports silently go
//                           unhooked). Its dependencies are bundled into its entry files: no node_modules.
// Called by scripts/build-payload.mjs; standalone: node src/runtimes/node/build.mjs [outDir] [--quiet] [--meta]
import { build as bundle } from 'esbuild';
import { copyFileSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const work = join(root, '.cache', 'payload-build', 'node');
const iitmDir = join(root, 'node_modules', 'import-in-the-middle');
// mainFields: prefer the packages' ESM builds, so esbuild can drop what is never used (most of
// @opentelemetry/semantic-conventions, for one: evaluating all of it costs megabytes of RSS).
const common = {
  bundle: true, platform: 'node', target: 'node18', minify: true, legalComments: 'none', logLevel: 'warning', format: 'cjs',
  mainFields: ['module', 'main'],
};
/** Nothing is excluded from sharing: contrib instrumentations are CommonJS-only, so they would each
 * carry a whole (not tree-shaken) copy of @opentelemetry/semantic-conventions; one shared copy is less. */
const NOT_SHARED = /^$/;

const external = (name, filter, path) => ({
  name,
  setup(b) {
    b.onResolve({ filter }, () => ({ path, external: true }));
  },
});

/**
 * One copy of each @opentelemetry package: sibling packages installed at slightly different patch
 * releases nest their own copies of core/sdk-*; resolve every @opentelemetry import from the project
 * root so the bundle carries the top-level copy only (same major, patch-level skew).
 */
const dedupeOtel = {
  name: 'dedupe-otel',
  setup(b) {
    b.onResolve({ filter: /^@opentelemetry\// }, async (args) => {
      if (args.pluginData === 'dedupe') return undefined;
      // A deep import of a package's CommonJS build (`…/build/src/x.js`, what Node and the tests load) is
      // bundled from its ESM build, the copy `mainFields` picks for the package itself: one copy.
      // The newest @opentelemetry/api 1.x (installed under an alias: the SDK packages' peer range lags
      // behind): an app's own API copy attaches to the global only if it is not newer than ours.
      const path = args.path === '@opentelemetry/api' ? 'otel-api-newest' : args.path.replace(/^(@opentelemetry\/[^/]+)\/build\/src\//, '$1/build/esm/');
      if (path === args.path && args.resolveDir === root) return undefined;
      const r = await b.resolve(path, { resolveDir: root, kind: args.kind, pluginData: 'dedupe' });
      return r.errors.length > 0 ? undefined : r;
    });
  },
};

/** In an instrumentation file: every other @opentelemetry package comes from sdk.cjs's `shared`. */
function sharedFromSdk(ownPackage, used) {
  return {
    name: 'shared-from-sdk',
    setup(b) {
      b.onResolve({ filter: /^@opentelemetry\// }, async (args) => {
        if (args.pluginData === 'probe' || NOT_SHARED.test(args.path) || args.path === ownPackage || args.path.startsWith(`${ownPackage}/`)) return undefined;
        // Only packages installed at the top level can be shared; a nested one stays in this file.
        const probe = await b.resolve(args.path, { resolveDir: root, kind: args.kind, pluginData: 'probe' });
        if (probe.errors.length > 0) return undefined;
        used.add(args.path);
        return { path: args.path, namespace: 'shared' };
      });
      b.onResolve({ filter: /^\.\.\/sdk\.cjs$/ }, () => ({ path: '../sdk.cjs', external: true }));
      b.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => ({
        contents: `module.exports = require('../sdk.cjs').shared[${JSON.stringify(args.path)}];`,
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}

/** Builds the Node.js payload into `out` (emptied first). Options: quiet (no size listing), meta (sdk.cjs by package). */
export async function build(out, { quiet = false, meta = false } = {}) {
  const catalogue = readFileSync(join(here, 'payload/catalogue.ts'), 'utf8');
  const instrumentations = [...catalogue.matchAll(/\bload\('([^']+)'\)/g)].map((m) => m[1]);
  const srcDir = join(here, 'payload');
  const packages = [...new Set(readdirSync(srcDir).filter((f) => f.endsWith('.ts')).flatMap((f) =>
    [...readFileSync(join(srcDir, f), 'utf8').matchAll(/\bloadPackage\('([^']+)'\)/g)].map((m) => m[1])))];

  rmSync(out, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(out, 'iitm', 'lib'), { recursive: true });
  mkdirSync(join(out, 'instrumentations'), { recursive: true });
  mkdirSync(join(out, 'packages'), { recursive: true });
  mkdirSync(work, { recursive: true });

  const shared = new Set(['@opentelemetry/api', '@opentelemetry/instrumentation']);
  const separate = [
    ...instrumentations.map((name) => [`@opentelemetry/instrumentation-${name}`, join(out, 'instrumentations', `${name}.cjs`)]),
    ...packages.map((name) => [`@opentelemetry/${name}`, join(out, 'packages', `${name}.cjs`)]),
  ];
  await Promise.all(separate.map(([pkg, outfile]) => bundle({
    ...common,
    // An ESM re-export as entry: the package resolves through "import" conditions / "module", tree-shakeable.
    stdin: { contents: `export * from ${JSON.stringify(pkg)};`, resolveDir: root, loader: 'js', sourcefile: `${pkg}.entry.js` },
    outfile,
    plugins: [external('iitm', /^import-in-the-middle$/, '../iitm/index.js'), sharedFromSdk(pkg, shared)],
  })));

  const getters = [...shared].sort().map((p) => `  get ${JSON.stringify(p)}() { return require(${JSON.stringify(p)}); },`).join('\n');
  writeFileSync(join(work, 'sdk-entry.cjs'), `exports.startPreload = require(${JSON.stringify(join(here, 'payload/sdk.ts'))}).startPreload;\nexports.shared = {\n${getters}\n};\n`);
  const sdkBuild = await bundle({
    ...common,
    entryPoints: [join(work, 'sdk-entry.cjs')],
    outfile: join(out, 'sdk.cjs'),
    metafile: true,
    plugins: [external('iitm', /^import-in-the-middle$/, './iitm/index.js'), dedupeOtel],
  });
  await bundle({
    ...common,
    entryPoints: [join(here, 'payload/register.ts')],
    outfile: join(out, 'register.cjs'),
    plugins: [external('sdk', /^\.\/sdk\.cjs$/, './sdk.cjs')],
  });

  const registerExternal = external('iitm-register', /lib\/register(\.js)?$/, './lib/register.js');
  await bundle({ ...common, entryPoints: [join(iitmDir, 'index.js')], outfile: join(out, 'iitm/index.js'), plugins: [registerExternal] });
  for (const entry of ['hook.mjs', 'register-hooks.mjs']) {
    await bundle({ ...common, format: 'esm', entryPoints: [join(iitmDir, entry)], outfile: join(out, 'iitm', entry), plugins: [registerExternal] });
  }
  copyFileSync(join(iitmDir, 'lib/register.js'), join(out, 'iitm/lib/register.js'));
  copyFileSync(join(iitmDir, 'LICENSE'), join(out, 'iitm/LICENSE'));
  // The folder may land under a "type": "module" package.json (as here, inside the repo): pin CommonJS.
  writeFileSync(join(out, 'package.json'), '{"type":"commonjs"}\n');
  writeFileSync(join(out, 'iitm/package.json'), '{"type":"commonjs"}\n');

  // modules.json: the packages each instrumentation patches, so the SDK can load an instrumentation on
  // the first require of its package (payload/lazy.ts) without reading the instrumentation first.
  const requireBuilt = createRequire(join(out, 'register.cjs'));
  const moduleMap = {};
  for (const name of instrumentations) {
    const exports = requireBuilt(`./instrumentations/${name}.cjs`);
    const Cls = Object.entries(exports).find(([k, v]) => k.endsWith('Instrumentation') && typeof v === 'function')?.[1];
    const inst = new Cls({ enabled: false });
    moduleMap[name] = [...new Set((inst.getModuleDefinitions?.() ?? []).map((d) => d.name))];
  }
  writeFileSync(join(out, 'modules.json'), `${JSON.stringify(moduleMap)}\n`);


  if (meta) {
    const by = {};
    for (const [f, v] of Object.entries(sdkBuild.metafile.outputs[relative(root, join(out, 'sdk.cjs'))]?.inputs ?? {})) {
      const m = f.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
      by[m ? m[1] : f] = (by[m ? m[1] : f] ?? 0) + v.bytesInOutput;
    }
    for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${String(v).padStart(9)}  sdk.cjs < ${k}`);
  }


  const files = walk(out);
  const bytes = files.reduce((s, f) => s + lstatSync(f).size, 0);
  if (!quiet) {
    const grouped = (f) => f.includes('/instrumentations/') || f.includes('/packages/');
    for (const f of files.filter((f) => !grouped(f))) console.log(`${String(statSync(f).size).padStart(9)}  ${relative(out, f)}`);
    for (const g of ['instrumentations', 'packages']) {
      const list = files.filter((f) => f.includes(`/${g}/`));
      console.log(`${String(list.reduce((s, f) => s + lstatSync(f).size, 0)).padStart(9)}  ${g}/ (${list.length} files)`);
    }
    console.log(`${String(bytes).padStart(9)}  total, ${files.length} files in ${relative(process.cwd(), out) || '.'}`);
  }
  return { files: files.length, bytes };
}

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return lstatSync(p).isDirectory() ? walk(p) : [p];
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outArg = process.argv.slice(2).find((a) => !a.startsWith('--'));
  await build(outArg ? resolve(outArg) : join(root, 'dist', 'payload', 'node'), { quiet: process.argv.includes('--quiet'), meta: process.argv.includes('--meta') });
}
