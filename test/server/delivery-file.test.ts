// The webhook's copy of the support snapshot: a real file, replaced the way the kubelet updates a ConfigMap
// volume (a new file renamed over the old), read at start and on each poll; the log lines it writes.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { renderSnapshot } from '../../src/k8s/contract/delivery.js';
import { SupportFile } from '../../src/server/delivery-file.js';
import { node, snapshot } from '../support/delivery.js';

t.test('missing, then a snapshot, then replaced, then garbage, then removed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'delivery-file-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'support.json');
  const lines: string[] = [];
  const file = new SupportFile(path, 60_000, pino({ level: 'info' }, { write: (line: string) => lines.push(line) }));
  t.teardown(() => file.stop());
  const put = async (text: string): Promise<void> => {
    await writeFile(join(dir, '.next'), text);
    await rename(join(dir, '.next'), path);
    await file.refresh();
  };
  await file.start();
  t.equal(file.current(), undefined, 'no file: no snapshot');
  await put(renderSnapshot(snapshot([node('w1')])));
  t.equal(file.current()?.nodes[0]?.name, 'w1');
  await put(renderSnapshot(snapshot([node('w1'), node('w2', 'containerd://1.7.2')])));
  t.equal(file.current()?.nodes.length, 2, 'a replaced file is read again');
  await put('{"version":99}');
  t.equal(file.current(), undefined, 'a file this release cannot read counts as none (auto: init container)');
  await rm(path);
  await file.refresh();
  t.equal(file.current(), undefined);
  const msgs = lines.map((line) => JSON.parse(line) as { msg: string; nodes?: number; supported?: number });
  t.same(msgs.map((m) => m.msg), [
    'delivery support file missing: auto uses the init container, image-volume does as configured',
    'delivery support snapshot loaded',
    'delivery support snapshot loaded',
    'delivery support file is not a snapshot this release reads: ignored',
    'delivery support file missing: auto uses the init container, image-volume does as configured',
  ], 'one line per change, none for an unchanged file');
  t.same([msgs[2]?.nodes, msgs[2]?.supported], [2, 1]);
});
