// Every relative link in the project's Markdown (README.md, CONTRIBUTING.md, the chart README, docs/, the
// Markdown under src/) points at a file or folder that exists, and every #anchor at a heading of the page it
// names, with GitHub's heading ids. A renamed page or heading fails here instead of on a reader.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../support/tools.js';

/** GitHub's id of a heading: inline Markdown dropped, lower case, punctuation removed, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // [text](url) -> text
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The lines of a Markdown text outside fenced code blocks (``` or ~~~), with their 1-based numbers. */
function proseLines(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m !== null) {
      const mark = (m[1] as string).slice(0, 3);
      if (fence === undefined) fence = mark;
      else if (mark === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push([i + 1, line]);
  });
  return out;
}

/** The ids of a page's headings, numbered like GitHub does for repeats (`x`, `x-1`, `x-2`). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const [, line] of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** The inline link targets of a Markdown text (code spans and code blocks left out), with line numbers. */
export function links(text: string): Array<{ line: number; target: string }> {
  const out: Array<{ line: number; target: string }> = [];
  for (const [n, line] of proseLines(text)) {
    const prose = line.replace(/(`+)[^`]*?\1/g, '');
    for (const m of prose.matchAll(/\]\(\s*<?([^()\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: n, target: m[1] as string });
  }
  return out;
}

/** What is wrong with one link of the page `from` (absolute path), or undefined when it resolves. */
export function problem(from: string, target: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:, …: not ours to check here
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? undefined : target.slice(hash + 1);
  const file = pathPart === '' ? from : resolve(dirname(from), pathPart);
  if (!existsSync(file)) return `${pathPart} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return undefined; // line anchors of code files: not checked
  return anchors(read(file)).has(anchor.toLowerCase()) ? undefined : `no heading #${anchor} in ${relative(repoRoot, file)}`;
}

const SKIP = new Set(['node_modules', '.cache', 'dist', '.git']);

function markdownUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const pages = [
  ...readdirSync(repoRoot).filter((name) => name.endsWith('.md')).map((name) => join(repoRoot, name)),
  ...['charts', 'docs', 'src'].flatMap((dir) => markdownUnder(join(repoRoot, dir))),
];

void t.test('GitHub heading ids', async (t) => {
  t.equal(slug('The Node.js payload, per Node line (`npm run bench:node-payload`)'), 'the-nodejs-payload-per-node-line-npm-run-benchnode-payload');
  t.equal(slug('A real node: pod create -> Ready, with and without injection'), 'a-real-node-pod-create---ready-with-and-without-injection');
  t.equal(slug('The command line: preview, status, doctor'), 'the-command-line-preview-status-doctor');
  t.same([...anchors('# A\n## B\n```sh\n# not a heading\n```\n## B\n### `c` d\n')], ['a', 'b', 'b-1', 'c-d']);
});

void t.test('the checker finds what is broken and passes what is not', async (t) => {
  const page = join(repoRoot, 'README.md');
  const fake = (text: string) => () => text;
  t.same(links('see [x](docs/a.md#b) and `[y](not/a/link.md)`\n```\n[z](in/code.md)\n```\n[w](https://e.x/y)'), [
    { line: 1, target: 'docs/a.md#b' },
    { line: 5, target: 'https://e.x/y' },
  ]);
  t.match(problem(page, 'docs/no-such-page.md'), /does not exist/);
  t.match(problem(page, 'docs/e2e.md#no-such-heading'), /no heading #no-such-heading/);
  t.match(problem(page, '#no-such-heading', fake('# Title\n')), /no heading/);
  t.equal(problem(page, '#title', fake('# Title\n')), undefined);
  t.equal(problem(page, 'docs/'), undefined, 'a folder');
  t.equal(problem(page, 'https://example.com/x.md#y'), undefined, 'external links are not followed');
});

void t.test('every relative link in the Markdown resolves', async (t) => {
  const names = pages.map((p) => relative(repoRoot, p));
  t.ok(names.includes('README.md') && names.includes('charts/otel-injector/README.md') && names.includes('CONTRIBUTING.md'), 'the READMEs and CONTRIBUTING.md are read');
  t.ok(names.filter((n) => n.startsWith('docs/')).length >= 10, `docs/ pages read (${names.filter((n) => n.startsWith('docs/')).length})`);
  let checked = 0;
  const broken: string[] = [];
  for (const page of pages) {
    for (const { line, target } of links(readFileSync(page, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      checked += 1;
      const why = problem(page, target);
      if (why !== undefined) broken.push(`${relative(repoRoot, page)}:${line}: (${target}): ${why}`);
    }
  }
  t.ok(checked >= 50, `${checked} relative links checked`);
  t.same(broken, [], 'no broken link or anchor');
});
