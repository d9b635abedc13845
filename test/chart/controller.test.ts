// The controller (issue 15) as the chart renders it, with Helm 3 and Helm 4: nothing in `off`, its own
// Deployment, ServiceAccount and RBAC in `report` and `restart`, patch on workloads only in `restart`, and
// an env that follows the values and points at this release's webhook Service and namespace selection.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommon, mwcEntry } from './lib/checks.js';
import { CONTROLLER, controllerObjects, controllerPodTemplate } from './lib/controller-checks.js';
import { all, containerOf, controllerEnv, deploymentWith, dig, envMap, FULLNAME, HELM_MAJORS, NAMESPACE, one, parseManifests, render, template, type Manifest, type Obj } from './lib/render.js';

const CLUSTER_ROLE_REPORT = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

const LEASE_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [CONTROLLER], verbs: ['get', 'update'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
];

/**
 * The report-mode ClusterRole plus get and patch on the three workload kinds, and get on this release's
 * MutatingWebhookConfiguration (its caBundle verifies the webhook before a restart): what restart renders.
 */
function clusterRoleRestart(): Obj[] {
  const [namespaces, pods, events] = CLUSTER_ROLE_REPORT;
  return [
    namespaces,
    pods,
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] },
    { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [FULLNAME], verbs: ['get'] },
    events,
  ] as Obj[];
}

function rules(m: readonly Manifest[], kind: string): unknown {
  return one(m, kind, CONTROLLER).rules;
}

/** Every verb the controller's ServiceAccount is granted, as `group/resource:verb` (resourceNames ignored). */
function grantedVerbs(m: readonly Manifest[]): string[] {
  const out: string[] = [];
  for (const role of [...all(m, 'ClusterRole'), ...all(m, 'Role')].filter((r) => r.metadata.name === CONTROLLER)) {
    for (const r of role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
      for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.push(`${g}/${res}:${v}`);
    }
  }
  return out.sort();
}

/** Renders with a literal YAML values file (not JSON), to see what YAML's unquoted `off` does. */
async function renderYaml(major: 3 | 4, yaml: string): Promise<Manifest[]> {
  const dir = await mkdtemp(join(tmpdir(), 'otel-chart-yaml-'));
  try {
    const file = join(dir, 'values.yaml');
    await writeFile(file, yaml);
    const r = await template(major, {}, ['-f', file]);
    if (r.code !== 0) throw new Error(r.stderr);
    return parseManifests(r.stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function withoutController(m: readonly Manifest[]): Manifest[] {
  return m.filter((x) => x.metadata.name !== CONTROLLER);
}

for (const major of HELM_MAJORS) {
  void t.test(`Helm ${major}`, async (t) => {
    void t.test('off renders nothing of the controller, and leaves the webhook as it is', async (t) => {
      const off = await render(major, { controller: { mode: 'off' } });
      checkCommon(t, off);
      t.same(controllerObjects(off), [], 'no object named <fullname>-controller');
      t.equal(all(off, 'Deployment').length, 1, 'only the webhook Deployment');
      t.same(off.filter((x) => x.metadata.labels?.['app.kubernetes.io/component'] === 'controller'), [], 'no object labelled component=controller');
      t.notOk(JSON.stringify(off).includes('CONTROLLER_'), 'no CONTROLLER_* variable anywhere');
      const report = await render(major);
      t.ok(controllerObjects(report).length > 0, 'the default (report) does render it');
      t.same(off, withoutController(report), 'off and report differ only by the controller objects');
      const unquoted = await renderYaml(major, 'controller:\n  mode: off\n');
      t.same(unquoted, off, "YAML's unquoted off (parsed as false) is off too");
    });

    void t.test('report (the default): Deployment, ServiceAccount, read-only RBAC on workloads, the Lease', async (t) => {
      const m = await render(major);
      checkCommon(t, m);
      t.same(controllerObjects(m).map((x) => x.kind).sort(),
        ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Role', 'RoleBinding', 'ServiceAccount'], 'the controller objects, all named <fullname>-controller');
      t.equal(dig(deploymentWith(m, 'controller'), 'spec', 'replicas'), 2, 'two replicas; the Lease elects one');
      t.same(rules(m, 'ClusterRole'), CLUSTER_ROLE_REPORT, 'ClusterRole: watch namespaces and pods, write Events; no access to workloads at all');
      t.same(rules(m, 'Role'), LEASE_RULES, 'Role: its Lease by name, plus create (which cannot be restricted by name)');
      t.equal(one(m, 'Role', CONTROLLER).metadata.namespace, NAMESPACE, 'the Lease Role lives in the release namespace');
      t.notOk(grantedVerbs(m).some((v) => v.endsWith(':patch') && v.startsWith('apps/')), 'no patch on any workload');
      t.notOk(grantedVerbs(m).some((v) => v.includes('replicasets') || v.includes('secrets')), 'no replicasets, no secrets');
      t.equal(envMap(controllerEnv(m)).CONTROLLER_MODE, 'report');
      t.equal(envMap(controllerEnv(m)).CONTROLLER_DRY_RUN, 'false');
      const webhookSa = dig(deploymentWith(m, 'webhook'), 'spec', 'template', 'spec', 'serviceAccountName');
      t.not(webhookSa, CONTROLLER, 'the webhook keeps its own ServiceAccount');
      t.same(one(m, 'ClusterRole', FULLNAME).rules, [
        { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [FULLNAME], verbs: ['get', 'patch'] },
      ], "the webhook's ClusterRole is unchanged");
    });

    void t.test('restart: get and patch on the three workload kinds, nothing else added', async (t) => {
      const m = await render(major, { controller: { mode: 'restart' } });
      checkCommon(t, m);
      t.same(rules(m, 'ClusterRole'), clusterRoleRestart(), 'ClusterRole: the report rules plus get and patch on deployments, statefulsets, daemonsets, get on its webhook configuration');
      t.same(rules(m, 'Role'), LEASE_RULES);
      const report = grantedVerbs(await render(major));
      t.same(grantedVerbs(m).filter((v) => !report.includes(v)), ['admissionregistration.k8s.io/mutatingwebhookconfigurations:get', 'apps/daemonsets:get', 'apps/daemonsets:patch', 'apps/deployments:get', 'apps/deployments:patch', 'apps/statefulsets:get', 'apps/statefulsets:patch'], 'restart adds exactly get and patch on the workloads and get on its webhook configuration');
      t.equal(envMap(controllerEnv(m)).CONTROLLER_MODE, 'restart');
      t.equal(envMap(controllerEnv(m)).CONTROLLER_DRY_RUN, 'false');
    });

    void t.test('restart with dryRun: the same RBAC, CONTROLLER_DRY_RUN=true', async (t) => {
      const m = await render(major, { controller: { mode: 'restart', dryRun: true } });
      checkCommon(t, m);
      t.equal(envMap(controllerEnv(m)).CONTROLLER_DRY_RUN, 'true');
      t.same(rules(m, 'ClusterRole'), clusterRoleRestart());
    });

    void t.test('rbac.create=false: the Deployment and ServiceAccount, no Role or binding', async (t) => {
      const m = await render(major, { rbac: { create: false }, controller: { mode: 'restart' } });
      checkCommon(t, m);
      t.same(controllerObjects(m).map((x) => x.kind).sort(), ['Deployment', 'ServiceAccount']);
    });

    void t.test('the env follows the values', async (t) => {
      const digest = `sha256:${'b'.repeat(64)}`;
      const m = await render(major, {
        controller: {
          mode: 'restart', replicas: 3, maxConcurrent: 4, minIntervalSeconds: 0, rolloutTimeoutSeconds: 1200, dryRun: true, leaseDurationSeconds: 20,
          resources: { requests: { cpu: '30m', memory: '200Mi' }, limits: { memory: '1Gi' } },
          nodeSelector: { pool: 'system' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' }],
          affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['system'] }] } }] } },
          podAnnotations: { 'prometheus.io/port': '8080' },
        },
        namespaceSelector: { labelKey: 'example.com/otel', labelValue: 'on', excludeNamespaces: ['legacy', 'kube-system'] },
        service: { port: 9443 },
        payload: { image: { repository: 'mirror.example/preload', digest } },
        logLevel: 'debug',
        telemetry: { otlpEndpoint: 'http://collector.obs:4318', exportIntervalMs: 5000 },
        image: { tag: '7.7.7' },
      });
      checkCommon(t, m, { labelKey: 'example.com/otel', labelValue: 'on' });
      const env = controllerEnv(m);
      t.same(envMap(env), {
        PORT: '8080',
        HOST: '0.0.0.0',
        LOG_LEVEL: 'debug',
        NODE_OPTIONS: '--max-semi-space-size=4',
        CONTROLLER_MODE: 'restart',
        CONTROLLER_MAX_CONCURRENT: '4',
        CONTROLLER_MIN_INTERVAL_SECONDS: '0',
        CONTROLLER_ROLLOUT_TIMEOUT_SECONDS: '1200',
        CONTROLLER_DRY_RUN: 'true',
        CONTROLLER_LEASE_NAME: CONTROLLER,
        CONTROLLER_LEASE_DURATION_SECONDS: '20',
        CONTROLLER_WEBHOOK_PROBE_URL: `https://${FULLNAME}.${NAMESPACE}.svc:9443/readyz`,
        WEBHOOK_CONFIG_NAME: FULLNAME,
        CONTROLLER_NAMESPACE_LABEL: 'example.com/otel=on',
        CONTROLLER_EXCLUDE_NAMESPACES: `${NAMESPACE},kube-system,legacy`,
        INJECT_PAYLOAD_IMAGE: `mirror.example/preload@${digest}`,
        INJECT_DELIVERY: 'init-container',
        TELEMETRY_OTLP_ENDPOINT: 'http://collector.obs:4318',
        TELEMETRY_EXPORT_INTERVAL_MS: '5000',
      }, 'exactly these literal variables');
      const fieldRefs = Object.fromEntries(env.filter((e) => e.valueFrom !== undefined).map((e) => [e.name, dig(e.valueFrom, 'fieldRef', 'fieldPath')]));
      t.same(fieldRefs, { POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name' }, 'namespace (for the Lease) and pod name (leader identity) from the downward API');
      const names = env.map((e) => e.name);
      t.equal(new Set(names).size, names.length, 'no env name twice');
      const tpl = controllerPodTemplate(m);
      t.equal(dig(deploymentWith(m, 'controller'), 'spec', 'replicas'), 3);
      t.same(dig(containerOf(m, 'controller'), 'resources'), { requests: { cpu: '30m', memory: '200Mi' }, limits: { memory: '1Gi' } });
      t.same(tpl.spec.nodeSelector, { pool: 'system' });
      t.same(dig(tpl, 'spec', 'tolerations', 0, 'key'), 'dedicated');
      t.equal(dig(tpl, 'spec', 'affinity', 'nodeAffinity', 'preferredDuringSchedulingIgnoredDuringExecution', 0, 'weight'), 1);
      t.same(tpl.metadata.annotations, { 'prometheus.io/port': '8080' });
      t.equal(containerOf(m, 'controller').image, 'ghcr.io/otel-injector/otel-injector:7.7.7');
      t.same(rules(m, 'Role'), [{ ...LEASE_RULES[0], resourceNames: [envMap(env).CONTROLLER_LEASE_NAME] }, LEASE_RULES[1]], 'the Role names the Lease the controller uses');
      const webhookPod = dig(deploymentWith(m, 'webhook'), 'spec', 'template', 'spec') as Obj;
      t.equal(webhookPod.nodeSelector, undefined, 'controller placement values do not move the webhook');
    });

    void t.test('the env agrees with the webhook: same preload image, same namespaces, its Service', async (t) => {
      for (const values of [{}, { fullnameOverride: 'inj', namespaceSelector: { labelKey: 'team/otel', labelValue: 'yes', excludeNamespaces: ['a', 'b'] }, payload: { image: { tag: '2.0.0' } } }]) {
        const m = await render(major, values);
        const env = envMap(controllerEnv(m));
        const webhookEnv = envMap((containerOf(m, 'webhook').env ?? []) as { name: string; value?: string }[]);
        t.equal(env.INJECT_PAYLOAD_IMAGE, webhookEnv.INJECT_PAYLOAD_IMAGE, 'pods injected with another preload image are outdated');
        const ns = mwcEntry(m).namespaceSelector as { matchExpressions: { key: string; operator: string; values: string[] }[] };
        const optIn = ns.matchExpressions.find((e) => e.operator === 'In');
        const notIn = ns.matchExpressions.find((e) => e.operator === 'NotIn' && e.key === 'kubernetes.io/metadata.name');
        t.equal(env.CONTROLLER_NAMESPACE_LABEL, `${optIn?.key ?? ''}=${optIn?.values[0] ?? ''}`, 'the opt-in label of the namespaceSelector');
        t.same(env.CONTROLLER_EXCLUDE_NAMESPACES?.split(','), notIn?.values, 'exactly the namespaces the webhook never sees');
        const svc = one(m, 'Service');
        const probe = new URL(env.CONTROLLER_WEBHOOK_PROBE_URL ?? '');
        t.equal(probe.protocol, 'https:');
        t.equal(probe.hostname, `${svc.metadata.name}.${NAMESPACE}.svc`, 'the webhook Service');
        t.equal(Number(probe.port || '443'), dig(svc, 'spec', 'ports', 0, 'port'), 'its port');
        t.equal(probe.pathname, dig(containerOf(m, 'webhook'), 'readinessProbe', 'httpGet', 'path'), "the webhook's readiness path");
        t.equal(env.CONTROLLER_LEASE_NAME, `${svc.metadata.name}-controller`);
      }
    });

    void t.test('replicas and placement do not reach the webhook, and the controller has no PodDisruptionBudget', async (t) => {
      const m = await render(major, { controller: { replicas: 1 } });
      t.equal(dig(deploymentWith(m, 'controller'), 'spec', 'replicas'), 1);
      t.equal(dig(deploymentWith(m, 'webhook'), 'spec', 'replicas'), 2);
      t.same(all(m, 'PodDisruptionBudget').map((p) => p.metadata.name), [FULLNAME], "the webhook's PDB only");
    });
  });
}
