// The webhook runs on one Node line everywhere: its image (Dockerfile bases), package.json (engines,
// @types/node, the `node` devDependency that `npm ci` brings and npm scripts run on), the line the
// matrix runner calls the webhook's (scripts/node-lines.mjs), and the process running these tests.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { NODE_LINES, WEBHOOK_LINE } from '../../scripts/node-lines.mjs';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const pinned = pkg.devDependencies.node ?? '';
const major = pinned.split('.')[0] ?? '';

t.test('one Node line for the webhook', async (t) => {
  t.match(pinned, /^\d+\.\d+\.\d+$/, 'the node devDependency is an exact version');
  t.equal(major, WEBHOOK_LINE, "scripts/node-lines.mjs's webhook line");
  t.equal(NODE_LINES[WEBHOOK_LINE], pinned, 'the binary the matrix runs is the pinned release');
  t.equal(pkg.engines.node, `>=${major}`, 'engines');
  t.match(pkg.devDependencies['@types/node'] ?? '', new RegExp(`^\\^${major}\\.`), '@types/node');
  t.match(dockerfile, new RegExp(`^ARG WEBHOOK_BASE_IMAGE=gcr\\.io/distroless/nodejs${major}-debian12:nonroot@sha256:[0-9a-f]{64}$`, 'm'), 'image base, digest-pinned');
  t.match(dockerfile, new RegExp(`^ARG BUILD_IMAGE=docker\\.io/library/node:${major}-bookworm-slim@sha256:[0-9a-f]{64}$`, 'm'), 'build image, digest-pinned');
});

t.test('the tests (and the webhook processes they start) run on the pinned Node', async (t) => {
  // Fails when `npm ci` did not bring the pinned node (e.g. install scripts refused): then npm
  // scripts would silently run on the system Node.
  t.equal(process.versions.node, pinned, `process.execPath ${process.execPath}`);
});
