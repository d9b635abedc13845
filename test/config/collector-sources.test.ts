import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { hasCollectorSources } from '../../src/config/collector-sources.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const sources = (env: Record<string, string>) => parseConfig(env, 'v').controller.collectorSources;

t.test('no source by default: nothing to copy, a 10 s sync', async (t) => {
  const s = sources({});
  t.equal(hasCollectorSources(s), false);
  t.equal(s.syncSeconds, 10);
  t.same(s.headers, []);
});

t.test('sources are read by name and key', async (t) => {
  const s = sources({
    COLLECTOR_CA_CONFIGMAP_NAME: 'signoz-ca',
    COLLECTOR_CLIENT_CERT_SECRET: 'signoz-client',
    COLLECTOR_HEADER_SOURCES: JSON.stringify([{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'ingestion-key' }]),
    COLLECTOR_SYNC_SECONDS: '3',
  });
  t.same(s.caConfigMap, { name: 'signoz-ca', key: 'ca.crt' }, 'the key defaults to ca.crt');
  t.equal(s.caSecret, undefined);
  t.equal(s.clientCertSecret, 'signoz-client');
  t.same(s.headers, [{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'ingestion-key' }]);
  t.equal(s.syncSeconds, 3);
  t.equal(hasCollectorSources(s), true);
  t.ok(Object.isFrozen(s) && Object.isFrozen(s.headers));
  t.equal(hasCollectorSources(sources({ COLLECTOR_CA_PEM: PEM })), true, 'an inline CA alone is a source');
});

t.test('invalid sources are refused with the variable named', async (t) => {
  t.throws(() => sources({ COLLECTOR_CA_CONFIGMAP_NAME: 'a', COLLECTOR_CA_PEM: PEM }), /COLLECTOR_CA_PEM.*only one CA source/);
  t.throws(() => sources({ COLLECTOR_CA_PEM: 'not a pem' }), /COLLECTOR_CA_PEM.*not a PEM/);
  t.throws(() => sources({ COLLECTOR_CA_SECRET_NAME: 'Bad_Name' }), /COLLECTOR_CA_SECRET_NAME/);
  t.throws(() => sources({ COLLECTOR_CLIENT_CERT_SECRET: 'x/y' }), /COLLECTOR_CLIENT_CERT_SECRET/);
  t.throws(() => sources({ COLLECTOR_HEADER_SOURCES: '{"name":"a"}' }), /COLLECTOR_HEADER_SOURCES.*JSON list/);
  t.throws(() => sources({ COLLECTOR_HEADER_SOURCES: '[{"name":"bad header","secretName":"s","key":"k"}]' }), /entry 0/);
  t.throws(() => sources({ COLLECTOR_SYNC_SECONDS: '0' }), /COLLECTOR_SYNC_SECONDS/);
});
