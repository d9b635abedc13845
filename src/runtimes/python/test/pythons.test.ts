// The supported CPython minors have one source, pythons.json (scripts/pythons.mjs reads it for the build, the
// tests and make-bases.sh). This file fails when a place that cannot read it disagrees with it: the Dockerfile's
// generated sections, the bootstrap's messages, sitecustomize's version gate, ruff's target version, the
// requirements files and the documented range. Static checks only: no build, no interpreter.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MINORS, NEWEST, OLDEST, PAYLOAD_SRC, PYTHONS, cpTag, renderDockerfile, requirementsOf } from '../../../../scripts/pythons.mjs';
import { ROOT } from './support/paths.js';

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const [oldMajor, oldMinor] = OLDEST.split('.');
const [newMajor, newMinor] = NEWEST.split('.');

t.test('the list: minors oldest first, each with its requirements file and a digest-pinned image', (t) => {
  t.ok(MINORS.length >= 2, 'at least two minors');
  t.same([...MINORS].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])), MINORS, 'oldest first');
  t.equal(new Set(MINORS).size, MINORS.length, 'no minor twice');
  for (const p of PYTHONS) {
    t.match(p.minor, /^3\.\d+$/, `${p.minor}: a CPython 3 minor`);
    t.ok(existsSync(join(ROOT, PAYLOAD_SRC, 'requirements', p.requirements)), `${p.minor}: requirements/${p.requirements} exists`);
    t.match(p.image, new RegExp(`^[\\w.-]+/[\\w./-]+:${p.minor.replace('.', '\\.')}-slim@sha256:[0-9a-f]{64}$`), `${p.minor}: python:${p.minor}-slim pinned by digest`);
  }
  const used = new Set(PYTHONS.map((p) => p.requirements));
  const locked = readdirSync(join(ROOT, PAYLOAD_SRC, 'requirements')).filter((f) => /^py.*\.txt$/.test(f));
  t.same(locked.filter((f) => !used.has(f)), [], 'every locked requirements file is some minor\'s');
  for (const file of used) {
    const test = `requirements-test-${file.replace(/\.txt$/, '')}.txt`;
    t.ok(existsSync(join(ROOT, 'src', 'runtimes', 'python', 'test', test)), `the pytest environment for ${file}: ${test}`);
  }
  t.end();
});

t.test('the Dockerfile\'s per-minor sections are the ones generated from the list', (t) => {
  const dockerfile = read('Dockerfile');
  t.equal(renderDockerfile(dockerfile), dockerfile, 'up to date (else: node scripts/pythons.mjs dockerfile --write)');
  for (const minor of MINORS) {
    t.match(dockerfile, new RegExp(`^FROM \\$\\{PYTHON${minor.replace('.', '')}_IMAGE\\} AS python-${cpTag(minor)}$`, 'm'), `a stage for ${minor}`);
    t.match(dockerfile, new RegExp(`^COPY --from=python-${cpTag(minor)} /out/ `, 'm'), `the preload image takes ${minor}'s part`);
  }
  // the generator follows the list (a check that can fail): one more minor is one more arg, stage and copy
  const next = `3.${Number(newMinor) + 1}`;
  const more = renderDockerfile(dockerfile, [...PYTHONS, { minor: next, requirements: requirementsOf(NEWEST), image: `docker.io/library/python:${next}-slim@sha256:${'0'.repeat(64)}` }]);
  t.not(more, dockerfile, 'a longer list changes the Dockerfile');
  t.match(more, new RegExp(`^FROM \\$\\{PYTHON${next.replace('.', '')}_IMAGE\\} AS python-${cpTag(next)}$`, 'm'), `a stage for ${next}`);
  t.match(more, new RegExp(`^FROM \\$\\{PYTHON${next.replace('.', '')}_IMAGE\\} AS python-native$`, 'm'), 'psutil fetched by the newest');
  t.equal(renderDockerfile(more), dockerfile, 'and back');
  t.throws(() => renderDockerfile('FROM scratch\n'), /markers of section/, 'a Dockerfile without the markers is an error');
  t.end();
});

t.test('the payload\'s own version checks agree with the list', (t) => {
  const bootstrap = read(join(PAYLOAD_SRC, '_otel_injector', 'bootstrap.py'));
  t.match(bootstrap, `\nMIN, MAX = (${oldMajor}, ${oldMinor}), (${newMajor}, ${newMinor})\n`, 'bootstrap.py MIN, MAX: the oldest and the newest');
  const site = read(join(PAYLOAD_SRC, 'sitecustomize.py'));
  t.match(site, `sys.version_info[0] != ${oldMajor} or sys.version_info[1] < ${oldMinor}:`, 'sitecustomize.py steps aside below the oldest');
  t.match(site, `'not instrumented: Python %d.%d is older than the supported ${OLDEST}'`, 'and names it');
  const ruff = read('ruff.toml');
  t.match(ruff, `\ntarget-version = "py${oldMajor}${oldMinor}"\n`, 'ruff.toml targets the oldest');
  t.match(ruff, `CPython ${OLDEST}-${NEWEST}`, 'ruff.toml says the range');
  t.end();
});

t.test('the documented range is the list\'s', (t) => {
  const readme = read('README.md');
  const ranges = [...readme.matchAll(/Python payload for CPython (3\.\d+)–(3\.\d+)/g)].map((m) => `${m[1]}–${m[2]}`);
  t.ok(ranges.length > 0, 'README states the range');
  t.same([...new Set(ranges)], [`${OLDEST}–${NEWEST}`], 'README: every "Python payload for CPython A–B"');
  const python = read('docs/python.md');
  const supported = [...python.matchAll(/\(supported: (3\.\d+) to (3\.\d+)\)/g)].map((m) => `${m[1]} to ${m[2]}`);
  t.ok(supported.length > 0, 'docs/python.md quotes the unsupported-version line');
  t.same([...new Set(supported)], [`${OLDEST} to ${NEWEST}`], 'docs/python.md: "(supported: A to B)"');
  t.end();
});
