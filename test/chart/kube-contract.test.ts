// What the chart renders of the Kubernetes contract (src/k8s/contract/) agrees with the code.
// The controller's Lease is named in two places: the chart (CONTROLLER_LEASE_NAME, and the Role that lets
// the controller get and update only that Lease) and the code (lease.ts, from which `otel-injector status`
// finds the Lease by the webhook configuration's name). They must agree, for any release name and
// override, or status reports a running controller as not running. The default namespace opt-in label is
// what the CLI and the controller assume when they cannot read the chart's.
import t from 'tap';
import { LABEL, NAMESPACE_OPT_IN } from '../../src/k8s/contract/labels.js';
import { controllerLeaseName } from '../../src/k8s/contract/lease.js';
import { all, controllerEnv, dig, envMap, HELM_MAJORS, one, render, type Obj } from './lib/render.js';

const CASES: ReadonlyArray<{ why: string; values: Obj }> = [
  { why: 'default names', values: {} },
  { why: 'fullnameOverride', values: { fullnameOverride: 'inj' } },
  { why: 'nameOverride', values: { nameOverride: 'tracing' } },
  { why: 'a long fullnameOverride (truncated by the chart)', values: { fullnameOverride: 'a-very-long-release-name-that-goes-on-and-on-and-on-for-ever' } },
];

for (const major of HELM_MAJORS) {
  t.test(`helm ${major}: the Lease the chart names is the one the code derives from the webhook configuration`, async (t) => {
    for (const { why, values } of CASES) {
      for (const mode of ['report', 'restart']) {
        const m = await render(major, { ...values, controller: { mode } });
        const config = one(m, 'MutatingWebhookConfiguration');
        const lease = controllerLeaseName(config.metadata.name);
        const env = envMap(controllerEnv(m));
        t.equal(env.CONTROLLER_LEASE_NAME, lease, `${why}, ${mode}: CONTROLLER_LEASE_NAME`);
        t.equal(env.WEBHOOK_CONFIG_NAME, config.metadata.name, `${why}, ${mode}: the controller knows the same configuration`);
        const granted = all(m, 'Role').flatMap((role) => (role.rules as Obj[])
          .filter((r) => (r.resources as string[]).includes('leases') && (r.verbs as string[]).includes('update'))
          .map((r) => ({ namespace: role.metadata.namespace, names: r.resourceNames })));
        const serviceNamespace = dig(config, 'webhooks', 0, 'clientConfig', 'service', 'namespace');
        t.same(granted, [{ namespace: serviceNamespace, names: [lease] }], `${why}, ${mode}: the Role grants that Lease, in the webhook Service's namespace (where status looks)`);
      }
    }
  });
}

t.test('the default namespace opt-in label and the component label are the chart\'s selectors', async (t) => {
  const m = await render(HELM_MAJORS[0] ?? 3, {});
  const config = one(m, 'MutatingWebhookConfiguration');
  const selector = dig(config, 'webhooks', 0, 'namespaceSelector', 'matchExpressions') as Obj[];
  t.same(selector.filter((e) => e.key === NAMESPACE_OPT_IN.key), [{ key: NAMESPACE_OPT_IN.key, operator: 'In', values: [NAMESPACE_OPT_IN.value] }]);
  t.equal(envMap(controllerEnv(m)).CONTROLLER_NAMESPACE_LABEL, `${NAMESPACE_OPT_IN.key}=${NAMESPACE_OPT_IN.value}`);
  t.same(dig(config, 'webhooks', 0, 'objectSelector', 'matchExpressions'), [{ key: LABEL.component, operator: 'NotIn', values: ['webhook'] }], 'the webhook\'s own pods are kept away by the component label the CLI knows');
});
