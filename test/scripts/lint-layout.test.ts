// scripts/lint-layout.mjs (part of npm run lint) run as lint runs it, on small repositories made here: it must
// fail on a planted import cycle and print it, fail on a file over 300 lines, and keep its allow-list honest.
import t, { type Test } from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../support/tools.js';

const script = join(repoRoot, 'scripts', 'lint-layout.mjs');

async function repo(t: Test, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'lint-layout-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  execFileSync('git', ['init', '-q'], { cwd: root });
  return root;
}

function lint(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, '--root', root], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

const lines = (n: number): string => 'export const x = 1;\n'.repeat(n);
const CLEAN = {
  'src/config/index.ts': "import { names } from '../runtimes/index.js';\nexport const all = names;\n",
  'src/runtimes/index.ts': "export const names = ['node'];\n",
};

void t.test('a planted cycle fails the check, printed file by file', async (t) => {
  const clean = await lint(await repo(t, CLEAN));
  t.equal(clean.code, 0, clean.stderr);
  t.match(clean.stdout, /no import cycle in src\//);

  const planted = await lint(await repo(t, {
    ...CLEAN,
    'src/runtimes/index.ts': "import type { all } from '../config/index.js';\nexport const names = ['node'];\nexport type All = typeof all;\n",
  }));
  t.equal(planted.code, 1);
  t.match(planted.stderr, 'import cycle: src/config/index.ts -> src/runtimes/index.ts -> src/config/index.ts');

  const longer = await lint(await repo(t, {
    'src/a.ts': "export { b } from './b.js';\n",
    'src/b.ts': "import './c/index.js';\nexport const b = 1;\n",
    'src/c/index.ts': "export const load = () => import('../a.js');\n",
    'src/d.ts': "import { b } from './b.js';\nexport const d = b;\n",
  }));
  t.equal(longer.code, 1, 're-exports, side-effect imports, folder index files and import() all count');
  t.match(longer.stderr, 'import cycle: src/a.ts -> src/b.ts -> src/c/index.ts -> src/a.ts');
  t.notMatch(longer.stderr, /src\/d\.ts/, 'a file that only imports into the cycle is not part of it');
});

void t.test('files over 300 lines fail unless listed, and a listed one may not grow', async (t) => {
  const big = { ...CLEAN, 'src/big.ts': lines(301), 'test/ok.test.ts': lines(300), 'test/data.json': '{}\n'.repeat(400) };
  const over = await lint(await repo(t, big));
  t.equal(over.code, 1);
  t.match(over.stderr, 'file size: src/big.ts: 301 lines, over 300: split it');
  t.notMatch(over.stderr, /ok\.test\.ts|data\.json/, '300 lines is fine; data files are not counted');

  const listed = await lint(await repo(t, { ...big, 'scripts/layout-allow.txt': '# offenders\nsrc/big.ts 301\n' }));
  t.equal(listed.code, 0, listed.stderr);

  const grown = await lint(await repo(t, { ...big, 'src/big.ts': lines(320), 'scripts/layout-allow.txt': 'src/big.ts 301\n' }));
  t.equal(grown.code, 1);
  t.match(grown.stderr, 'src/big.ts: 320 lines, grew past its allowed 301');

  const stale = await lint(await repo(t, { ...CLEAN, 'src/small.ts': lines(10), 'scripts/layout-allow.txt': 'src/small.ts 400\nsrc/gone.ts 500\n' }));
  t.equal(stale.code, 1, 'an entry that no longer applies fails: the list only shrinks');
  t.match(stale.stderr, 'src/small.ts: 10 lines, under 300 now: remove it from the allow-list');
  t.match(stale.stderr, 'src/gone.ts: on the allow-list but not a file any more');
});

void t.test('a listed cycle stands until it is broken, then its entry must go', async (t) => {
  const cyclic = {
    'src/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
    'src/b.ts': "import type { a } from './a.js';\nexport const b = 1;\nexport type A = typeof a;\n",
  };
  const allowed = await lint(await repo(t, { ...cyclic, 'scripts/layout-allow.txt': 'cycle src/b.ts src/a.ts\n' }));
  t.equal(allowed.code, 0, allowed.stderr);
  const broken = await lint(await repo(t, { ...CLEAN, 'scripts/layout-allow.txt': 'cycle src/b.ts src/a.ts\n' }));
  t.equal(broken.code, 1);
  t.match(broken.stderr, 'import cycle on the allow-list is gone: remove "cycle src/a.ts src/b.ts"');
});
