// The copier's decisions on an in-memory API (the real API, RBAC and garbage collection: test/e2e/collector-copy.test.ts).
import t from 'tap';
import pino from 'pino';
import { Writable } from 'node:stream';
import { CollectorCopier, COPY_LABEL } from '../../src/controller/collector-copy.js';
import type { CollectorKube, CopyBody, CopyRecord } from '../../src/controller/collector-kube.js';
import type { CollectorSources } from '../../src/config/collector-sources.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const text = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

class MemoryKube implements CollectorKube {
  secrets = new Map<string, Record<string, string>>();
  configMaps = new Map<string, Record<string, string>>();
  copies = new Map<string, CopyBody & { rv: number }>();
  owner: string | undefined = 'uid-1';
  writes = 0;
  failSecrets = false;
  async secretData(ns: string, name: string) {
    if (this.failSecrets) throw new Error('get secret: forbidden');
    return this.secrets.get(`${ns}/${name}`);
  }
  async configMapData(ns: string, name: string) {
    return this.configMaps.get(`${ns}/${name}`);
  }
  async listCopies(name: string, selector: string): Promise<CopyRecord[]> {
    const [k, v] = selector.split('=');
    return [...this.copies.values()].filter((c) => c.name === name && c.labels[k ?? ''] === v).map((c) => ({ namespace: c.namespace, resourceVersion: String(c.rv), data: c.data }));
  }
  async putCopy(body: CopyBody): Promise<string> {
    this.writes++;
    this.copies.set(body.namespace, { ...body, rv: this.writes });
    return String(this.writes);
  }
  async deleteCopy(ns: string) {
    this.copies.delete(ns);
  }
  async webhookConfigUid() {
    return this.owner;
  }
}

function setup(over: Partial<CollectorSources> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb(); } }));
  const kube = new MemoryKube();
  kube.configMaps.set('rel/ca', { 'ca.crt': 'CA-PEM' });
  kube.secrets.set('rel/client', { 'tls.crt': b64('CERT'), 'tls.key': b64('KEY-1') });
  kube.secrets.set('rel/keys', { ingest: b64('k=1 x') });
  const sources: CollectorSources = { caConfigMap: { name: 'ca', key: 'ca.crt' }, caSecret: undefined, caPem: undefined, clientCertSecret: 'client', headers: [{ name: 'x-key', secretName: 'keys', key: 'ingest' }], syncSeconds: 1, ...over };
  const copier = new CollectorCopier({ sources, secretName: 'coll', releaseNamespace: 'rel', webhookConfigName: 'inj' }, kube, logger);
  return { kube, copier, lines, log: () => JSON.stringify(lines) };
}

t.test('writes the composed copy, owned and labelled, into each namespace; writes nothing when unchanged', async (t) => {
  const { kube, copier } = setup();
  await copier.sync(['a', 'b']);
  const a = kube.copies.get('a');
  t.same(Object.fromEntries(Object.entries(a?.data ?? {}).map(([k, v]) => [k, text(v)])), { 'ca.crt': 'CA-PEM', 'tls.crt': 'CERT', 'tls.key': 'KEY-1', headers: 'x-key=k%3D1%20x' });
  t.same(a?.owner, { name: 'inj', uid: 'uid-1' });
  t.equal(a?.labels[COPY_LABEL], 'inj');
  t.equal(kube.writes, 2);
  await copier.sync(['a', 'b']);
  t.equal(kube.writes, 2, 'no write when every copy holds the data');
});

t.test('a changed source updates every copy; an opted-out namespace loses its copy', async (t) => {
  const { kube, copier, lines } = setup();
  await copier.sync(['a', 'b']);
  kube.secrets.set('rel/client', { 'tls.crt': b64('CERT'), 'tls.key': b64('KEY-2') });
  await copier.sync(['a']);
  t.equal(text(kube.copies.get('a')?.data['tls.key']), 'KEY-2');
  t.notOk(kube.copies.has('b'), 'b deleted');
  t.ok(lines.some((l) => l.msg === 'collector secret: a source changed, updating the copies'));
});

t.test('an inline CA or a CA Secret', async (t) => {
  const pem = '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----';
  const inline = setup({ caConfigMap: undefined, caPem: pem, clientCertSecret: undefined, headers: [] });
  await inline.copier.sync(['a']);
  t.same(Object.keys(inline.kube.copies.get('a')?.data ?? {}), ['ca.crt']);
  t.equal(text(inline.kube.copies.get('a')?.data['ca.crt']), `${pem}\n`);
  const secret = setup({ caConfigMap: undefined, caSecret: { name: 'client', key: 'tls.crt' }, clientCertSecret: undefined, headers: [] });
  await secret.copier.sync(['a']);
  t.equal(text(secret.kube.copies.get('a')?.data['ca.crt']), 'CERT');
});

t.test('an unreadable or missing source leaves the copies as they are, said once per problem, without values', async (t) => {
  const { kube, copier, lines, log } = setup();
  await copier.sync(['a']);
  kube.secrets.delete('rel/keys');
  await copier.sync(['a', 'c']);
  await copier.sync(['a', 'c']);
  t.equal(text(kube.copies.get('a')?.data['tls.key']), 'KEY-1', 'copy kept');
  t.notOk(kube.copies.has('c'), 'no partial copy written');
  t.equal(lines.filter((l) => String(l.msg).includes('header x-key: Secret rel/keys not found')).length, 1);
  kube.failSecrets = true;
  await copier.sync(['a']);
  t.ok(lines.some((l) => String(l.msg).includes('unreadable (get secret: forbidden)')));
  t.notOk(/KEY-1|k%3D1|CA-PEM|S0VZ/.test(log()), 'no value logged');
});

t.test('no owner (release being uninstalled): nothing written', async (t) => {
  const { kube, copier, lines } = setup();
  kube.owner = undefined;
  await copier.sync(['a']);
  t.equal(kube.copies.size, 0);
  t.ok(lines.some((l) => String(l.msg).includes('MutatingWebhookConfiguration inj not found')));
});
