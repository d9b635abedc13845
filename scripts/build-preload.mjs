#!/usr/bin/env node
// Builds dist/preload/: register.cjs (our code + the OpenTelemetry packages, one CommonJS bundle)
// and iitm/ (import-in-the-middle, NOT bundled into register.cjs: its loader's generated wrapper
// modules import iitm's own lib/register.js from disk, so the Hook registry the instrumentations
// use must be that same on-disk module; a bundled copy would be a second registry that the loader
// never calls, and ESM imports would silently go unhooked). iitm's own dependencies
// (es-module-lexer, cjs-module-lexer, module-details-from-path) are bundled into its three entry
// files, so there is no node_modules tree at all.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.slice(2).find((a) => !a.startsWith('--'));
const out = outArg ? join(process.cwd(), outArg) : join(root, 'dist', 'preload');
const require = createRequire(join(root, 'package.json'));
const iitmDir = dirname(require.resolve('import-in-the-middle/package.json'));
const common = { bundle: true, platform: 'node', target: 'node18', minify: true, legalComments: 'none', logLevel: 'warning' };

/** `import-in-the-middle` from our code → the on-disk copy beside the bundle. */
const iitmExternal = {
  name: 'iitm-external',
  setup(b) {
    b.onResolve({ filter: /^import-in-the-middle$/ }, () => ({ path: './iitm/index.js', external: true }));
  },
};
/** Inside iitm/index.js: keep lib/register.js as the shared on-disk module. */
const registerExternal = {
  name: 'iitm-register-external',
  setup(b) {
    b.onResolve({ filter: /lib\/register(\.js)?$/ }, () => ({ path: './lib/register.js', external: true }));
  },
};

/**
 * One copy of each @opentelemetry package: sibling packages installed at slightly different
 * patch releases nest their own copies of core/sdk-*; resolve every @opentelemetry import from
 * the project root so the bundle carries the top-level copy only (same major, patch-level skew).
 */
const dedupeOtel = {
  name: 'dedupe-otel',
  setup(b) {
    b.onResolve({ filter: /^@opentelemetry\// }, async (args) => {
      if (args.pluginData === 'dedupe' || args.resolveDir === root) return undefined;
      const r = await b.resolve(args.path, { resolveDir: root, kind: args.kind, pluginData: 'dedupe' });
      return r.errors.length > 0 ? undefined : r;
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'iitm', 'lib'), { recursive: true });

await build({
  ...common,
  entryPoints: [join(root, 'src/preload/register.ts')],
  outfile: join(out, 'register.cjs'),
  format: 'cjs',
  plugins: [iitmExternal, dedupeOtel],
});
await build({ ...common, entryPoints: [join(iitmDir, 'index.js')], outfile: join(out, 'iitm/index.js'), format: 'cjs', plugins: [registerExternal] });
for (const entry of ['hook.mjs', 'register-hooks.mjs']) {
  await build({ ...common, entryPoints: [join(iitmDir, entry)], outfile: join(out, 'iitm', entry), format: 'esm', plugins: [registerExternal] });
}
copyFileSync(join(iitmDir, 'lib/register.js'), join(out, 'iitm/lib/register.js'));
copyFileSync(join(iitmDir, 'LICENSE'), join(out, 'iitm/LICENSE'));
// The folder may land under a "type": "module" package.json (as here, inside the repo): pin CommonJS.
writeFileSync(join(out, 'package.json'), '{"type":"commonjs"}\n');
writeFileSync(join(out, 'iitm/package.json'), '{"type":"commonjs"}\n');

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const files = walk(out);
const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
if (!process.argv.includes('--quiet')) {
  for (const f of files) console.log(`${String(statSync(f).size).padStart(9)}  ${relative(out, f)}`);
  console.log(`${String(bytes).padStart(9)}  total, ${files.length} files in ${relative(process.cwd(), out) || '.'}`);
}
