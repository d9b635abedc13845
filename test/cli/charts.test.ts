// preview on manifests rendered by the real helm (3 and 4) from a chart in the shape of Bitnami's
// (test/cli/charts/webapp): every workload of the release, with the release's own naming and labels.
import t from 'tap';
import { cli, attributes, envOf, yamlDocs, type Obj } from './helpers.js';
import { helmTemplate, webappChart } from './helm.js';

function templateOf(item: Obj): Obj {
  return item.kind === 'CronJob' ? item.spec.jobTemplate.spec.template : item.spec.template;
}

for (const major of [3, 4] as const) {
  void t.test(`helm ${major}: a Bitnami-style release, standalone and replicated with a backup CronJob and a sidecar`, async (t) => {
    const yaml = await helmTemplate(major, webappChart, 'shop', 'storefront', {
      architecture: 'replication',
      backup: { enabled: true },
      sidecars: [{ name: 'metrics', image: 'registry.example.com/exporter:1.2' }],
      podAnnotations: { 'otel-injector.io/container-names': 'webapp' },
    });
    const ran = await cli(['preview', '-f', '-', '-o', 'json'], { stdin: yaml });
    t.equal(ran.code, 0, ran.stderr);
    const items = (JSON.parse(ran.stdout) as Obj).items as Obj[];
    t.same(items.map((i) => i.kind), ['Service', 'StatefulSet', 'CronJob']);
    const sts = templateOf(items[1] as Obj);
    t.equal(envOf(sts, 'webapp', 'OTEL_SERVICE_NAME'), 'shop-webapp-replica', 'StatefulSet name');
    t.match(attributes(sts, 'webapp'), { 'k8s.statefulset.name': 'shop-webapp-replica', 'k8s.namespace.name': 'storefront', 'service.version': '3.8.0-debian-12-r4' });
    t.equal(envOf(sts, 'metrics', 'OTEL_SERVICE_NAME'), undefined, 'the sidecar is left alone (container-names annotation)');
    t.equal(sts.metadata.annotations['otel-injector.io/status'], 'injected: node,python');
    const cron = templateOf(items[2] as Obj);
    t.equal(envOf(cron, 'backup', 'OTEL_SERVICE_NAME'), 'shop-webapp-backup', 'CronJob name, not the Job name');
    t.equal(yamlDocs(yaml).length, 3, 'helm rendered three objects');
  });
}

void t.test('useWellKnownLabels from a values file: service.name from app.kubernetes.io/instance, version from the label', async (t) => {
  const yaml = await helmTemplate(4, webappChart, 'shop', 'storefront');
  const { writeFile, mkdtemp } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'otel-cli-values-'));
  await writeFile(join(dir, 'values.yaml'), 'inject:\n  useWellKnownLabels: true\n');
  const ran = await cli(['preview', '-f', '-', '--values', join(dir, 'values.yaml')], { stdin: yaml });
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stdout, /^Deployment storefront\/shop-webapp {2}\(pod shop-webapp-\w+-xxxxx; <stdin>#2\)$/m);
  t.match(ran.stdout, /container webapp: service\.name=shop\n/, 'app.kubernetes.io/instance wins over the Deployment name');
  t.match(ran.stdout, /^ {6}service\.version=3\.8\.0$/m, 'app.kubernetes.io/version');
  t.match(ran.stdout, /^ignored: Service shop-webapp \(<stdin>#1\)/m);
});
