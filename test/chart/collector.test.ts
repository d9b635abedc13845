// Issue 21: the collector's endpoints and credentials are set in one place (the chart's `collector` values);
// the webhook gets only which items exist and where, parsed by the real src/config, and no value of a
// certificate, key or header ever appears in what the chart renders. Contradictory values fail at helm time.
import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { all, controllerEnv, one, type Manifest, deploymentWith, envMap, HELM_MAJORS, parseManifests, render, template, webhookEnv, type Obj } from './lib/render.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Ff\n-----END CERTIFICATE-----\n';

/** The webhook's env as the process sees it (POD_NAMESPACE from the downward API). */
function processEnv(env: Record<string, string>): Record<string, string> {
  return { ...env, POD_NAMESPACE: 'observability' };
}

for (const major of HELM_MAJORS) {
  void t.test(`helm ${major}`, async (t) => {
    void t.test('defaults: plain http, nothing from the collector Secret', async (t) => {
      const cfg = parseConfig(processEnv(envMap(webhookEnv(await render(major)))), '0.1.0');
      t.same({ ...cfg.inject.collector }, {
        endpoints: {}, secretName: 'otel-injector-collector', mountPath: '/var/run/otel-injector/collector',
        ca: false, clientCertificate: false, headers: false,
      });
    });

    void t.test('SigNoz self-hosted with a private CA and mTLS; hosted with an ingestion key', async (t) => {
      const selfHosted: Obj = {
        inject: { otlpEndpoint: 'https://signoz-otel-collector.signoz.svc.cluster.local:4318' },
        collector: { ca: { configMap: { name: 'signoz-ca', key: 'ca.crt' } }, clientCertificate: { secretName: 'signoz-client' } },
      };
      const rendered = await render(major, selfHosted);
      const cfg = parseConfig(processEnv(envMap(webhookEnv(rendered))), '0.1.0');
      t.match(cfg.inject.collector, { ca: true, clientCertificate: true, headers: false });
      const hosted: Obj = {
        inject: { otlpEndpoint: 'https://ingest.eu.signoz.cloud:443' },
        collector: {
          headers: [{ name: 'signoz-ingestion-key', secretName: 'signoz-cloud', key: 'ingestion-key' }],
          tracesEndpoint: 'https://ingest.eu.signoz.cloud:443/v1/traces',
        },
      };
      const hostedCfg = parseConfig(processEnv(envMap(webhookEnv(await render(major, hosted)))), '0.1.0');
      t.match(hostedCfg.inject.collector, { ca: false, clientCertificate: false, headers: true });
      t.same(hostedCfg.inject.collector.endpoints, { traces: 'https://ingest.eu.signoz.cloud:443/v1/traces' });
    });

    void t.test('an inline CA or header Secret never appears in what is rendered', async (t) => {
      const r = await template(major, {
        inject: { otlpEndpoint: 'https://c:4318' },
        collector: { ca: { pem: PEM }, headers: [{ name: 'x-key', secretName: 'key-secret-name', key: 'the-key' }] },
      });
      t.equal(r.code, 0, r.stderr);
      const m = parseManifests(r.stdout);
      const webhook = JSON.stringify(deploymentWith(m, 'webhook'));
      t.notOk(webhook.includes('MIIBszCCAVmgAwIBAgIUQ2Ff'), 'the inline PEM is not in the webhook Deployment');
      t.notOk(webhook.includes('key-secret-name'), 'nor the names of the sources');
      // The controller, which composes the copies, gets the sources by name (and the inline CA, not a secret).
      const ctl = envMap(controllerEnv(m));
      t.equal(ctl.COLLECTOR_CA_PEM?.trim(), PEM.trim());
      t.same(JSON.parse(ctl.COLLECTOR_HEADER_SOURCES ?? ''), [{ name: 'x-key', secretName: 'key-secret-name', key: 'the-key' }]);
    });

    void t.test('controller RBAC for the copies: the copies by name, the sources by name, nothing without sources', async (t) => {
      const rulesOf = (m: Manifest[], kind: string): Obj[] => (one(m, kind, 'otel-otel-injector-controller').rules ?? []) as Obj[];
      const secretRules = (rules: Obj[]): Obj[] => rules.filter((r) => (r.resources as string[]).includes('secrets') || (r.resources as string[]).includes('configmaps'));
      const plain = await render(major);
      t.same(secretRules(rulesOf(plain, 'ClusterRole')), [], 'no Secret access without collector sources');
      t.same(secretRules(rulesOf(plain, 'Role')), []);
      t.notOk(envMap(controllerEnv(plain)).COLLECTOR_SYNC_SECONDS, 'nor the copy env');
      const m = await render(major, {
        inject: { otlpEndpoint: 'https://c:4318' },
        collector: { secretName: 'coll', ca: { configMap: { name: 'ca-map', key: 'ca.crt' } }, clientCertificate: { secretName: 'client' }, headers: [{ name: 'x-key', secretName: 'keys', key: 'k' }, { name: 'y-key', secretName: 'keys', key: 'k2' }] },
      });
      t.same(secretRules(rulesOf(m, 'ClusterRole')), [
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['coll'], verbs: ['list', 'watch', 'update', 'delete'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ]);
      t.ok(rulesOf(m, 'ClusterRole').some((r) => (r.resources as string[]).includes('mutatingwebhookconfigurations')), 'get on the owner, in report mode too');
      t.same(secretRules(rulesOf(m, 'Role')), [
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['client', 'keys'], verbs: ['get'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['ca-map'], verbs: ['get'] },
      ]);
      const off = await render(major, { inject: { otlpEndpoint: 'https://c:4318' }, collector: { clientCertificate: { secretName: 'client' } }, controller: { mode: 'off' } });
      t.equal(all(off, 'ClusterRole').filter((r) => r.metadata.name.endsWith('-controller')).length, 0, 'controller off: no copies, no RBAC');
    });

    void t.test('contradictory values fail at helm time with the reason', async (t) => {
      const cases: Array<[Obj, RegExp]> = [
        [{ collector: { ca: { pem: PEM, configMap: { name: 'ca', key: 'ca.crt' } } }, inject: { otlpEndpoint: 'https://c:4318' } }, /only one of/],
        [{ collector: { ca: { pem: PEM } } }, /every collector endpoint is http/],
        [{ collector: { clientCertificate: { secretName: 'c' } } }, /every collector endpoint is http/],
        [{ collector: { mountPath: '/otel-injector/tls' } }, /must not overlap/],
        [{ collector: { headers: [{ name: 'bad header', secretName: 's', key: 'k' }] } }, /name/],
        [{ collector: { tracesEndpoint: 'grpc://c:4317' } }, /tracesEndpoint/],
      ];
      for (const [values, reason] of cases) {
        const r = await template(major, values);
        t.not(r.code, 0, JSON.stringify(values));
        t.match(r.stderr, reason);
      }
      const ok = await template(major, { collector: { ca: { pem: PEM }, logsEndpoint: 'https://logs:4318/v1/logs' } });
      t.equal(ok.code, 0, 'one https signal endpoint is enough for a CA');
    });
  });
}
