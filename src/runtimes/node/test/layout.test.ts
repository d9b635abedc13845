// The init container copies the folder (`cp -R /otel-payload/. /otel-injector/`) and the app sees it
// read-only at another path: the copy must work from there, write nothing, and carry no node_modules.
import { chmodSync, cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startReceiver } from '../../../../test/support/receiver.mjs';
import { CLIENT, PRELOAD_DIR, SERVER, ensureBuilt, get, startApp, webhookEnv } from './helpers.js';

ensureBuilt();

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => `${f}:${statSync(join(dir, f)).size}`).sort();
}

function setWritable(dir: string, writable: boolean): void {
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) chmodSync(join(dir, f), statSync(join(dir, f)).isDirectory() ? (writable ? 0o755 : 0o555) : (writable ? 0o644 : 0o444));
  chmodSync(dir, writable ? 0o755 : 0o555);
}

t.test('a read-only copy at another path works for CJS and ESM apps and writes nothing', async (t) => {
  const mount = join(mkdtempSync(join(tmpdir(), 'otel-injector-')), 'otel-injector');
  const copy = join(mount, 'node');
  cpSync(PRELOAD_DIR, copy, { recursive: true });
  setWritable(copy, false);
  t.teardown(() => setWritable(copy, true));
  const before = listing(copy);
  t.notOk(before.some((f) => f.includes('node_modules')), 'no node_modules in the folder');

  const receiver = await startReceiver();
  const backend = await startApp('express-app.cjs', webhookEnv(receiver.url, 'ro-backend', { OTEL_METRICS_EXPORTER: 'none' }, mount));
  const esm = await startApp('esm-app.mjs', webhookEnv(receiver.url, 'ro-esm', { BACKEND_URL: backend.url, OTEL_METRICS_EXPORTER: 'none' }, mount));
  t.teardown(async () => { await esm.stop(); await backend.stop(); await receiver.close(); });
  t.equal((await get(`${esm.url}/hello/ro`)).status, 200);
  await receiver.waitFor((s) => s.spans.some((x) => x.kind === CLIENT && x.resource['service.name'] === 'ro-esm') &&
    s.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === 'ro-backend'));
  t.pass('ESM client span and CJS server span exported from the copied, read-only folder');
  t.same(listing(copy), before, 'nothing written next to the preload');
  t.equal(esm.stderr() + backend.stderr(), '', 'nothing on stderr');
});
