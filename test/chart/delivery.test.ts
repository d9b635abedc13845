// payload.delivery in the chart (docs/delivery.md): the webhook's INJECT_DELIVERY and the optional mount of
// the ConfigMap the controller writes (named as src/k8s/contract/delivery.ts derives it), the controller's
// extra RBAC (Nodes; that ConfigMap; the dry-run pod), only when image-volume or auto; what it refuses.
import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { deliveryConfigMapName } from '../../src/k8s/contract/delivery.js';
import { containerOf, controllerEnv, deploymentWith, dig, envMap, HELM_MAJORS, NAMESPACE, one, render, template, webhookEnv, type Obj } from './lib/render.js';

const ruleFor = (rules: Obj[], resource: string): Obj[] => rules.filter((r) => (r.resources as string[]).includes(resource));

for (const major of HELM_MAJORS) {
  t.test(`helm ${major}: init-container by default: no snapshot, no node access`, async (t) => {
    const m = await render(major);
    t.equal(envMap(webhookEnv(m)).INJECT_DELIVERY, 'init-container');
    t.equal(envMap(controllerEnv(m)).INJECT_DELIVERY, 'init-container', 'the controller reads the same mode');
    t.notOk('INJECT_DELIVERY_SUPPORT_FILE' in envMap(webhookEnv(m)));
    t.notOk(((dig(deploymentWith(m, 'webhook'), 'spec', 'template', 'spec', 'volumes') ?? []) as Obj[]).some((v) => v.name === 'delivery'));
    const name = `${one(m, 'MutatingWebhookConfiguration').metadata.name}-controller`;
    t.same(ruleFor(one(m, 'ClusterRole', name).rules as Obj[], 'nodes'), [], 'no access to Nodes');
    t.same(ruleFor(one(m, 'Role', name).rules as Obj[], 'pods'), [], 'no pod create');
  });

  for (const delivery of ['image-volume', 'auto'] as const) {
    t.test(`helm ${major}: ${delivery}: the webhook mounts the controller's ConfigMap, the controller may write it`, async (t) => {
      const m = await render(major, { payload: { delivery, image: { pullPolicy: 'Always', digest: `sha256:${'ef'.repeat(32)}` } } });
      const webhookConfig = one(m, 'MutatingWebhookConfiguration').metadata.name;
      const configMap = deliveryConfigMapName(webhookConfig);
      const env = envMap(webhookEnv(m));
      t.equal(env.INJECT_DELIVERY, delivery);
      const volume = ((dig(deploymentWith(m, 'webhook'), 'spec', 'template', 'spec', 'volumes') ?? []) as Obj[]).find((v) => v.name === 'delivery');
      t.same(volume?.configMap, { name: configMap, optional: true }, 'the ConfigMap the code names, optional');
      const mount = ((containerOf(m, 'webhook').volumeMounts ?? []) as Obj[]).find((v) => v.name === 'delivery');
      t.equal(`${String(mount?.mountPath)}/support.json`, env.INJECT_DELIVERY_SUPPORT_FILE, 'the file the webhook reads is in the mount');
      t.equal(mount?.readOnly, true);
      const config = parseConfig({ ...env, POD_NAMESPACE: NAMESPACE }, '0.1.0');
      t.equal(config.inject.delivery.mode, delivery, 'src/config accepts the rendered env');
      t.equal(config.inject.payloadImage, `ghcr.io/otel-injector/payload@sha256:${'ef'.repeat(32)}`, 'digest-pinned reference, as the image volume will carry it');
      t.equal(config.inject.imagePullPolicy, 'Always');
      const name = `${webhookConfig}-controller`;
      t.same(ruleFor(one(m, 'ClusterRole', name).rules as Obj[], 'nodes'), [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
      const role = one(m, 'Role', name).rules as Obj[];
      t.same(ruleFor(role, 'configmaps'), [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [configMap], verbs: ['get', 'update'] }, { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }]);
      t.same(ruleFor(role, 'pods'), [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }], 'the dry-run probe, in the release namespace only');
      t.equal(one(m, 'Role', name).metadata.namespace, NAMESPACE);
    });
  }

  t.test(`helm ${major}: refused: auto without the controller, a custom command with an image volume, an unknown mode`, async (t) => {
    const off = await template(major, { payload: { delivery: 'auto' }, controller: { mode: 'off' } });
    t.not(off.code, 0);
    t.match(off.stderr, /payload.delivery auto needs the controller/);
    const command = await template(major, { payload: { delivery: 'image-volume', command: ['/bin/cp', '-R', '/x', '/otel-injector/'] } });
    t.not(command.code, 0);
    t.match(command.stderr, /payload.command must be empty/);
    const unknown = await template(major, { payload: { delivery: 'volume' } });
    t.not(unknown.code, 0);
    t.match(unknown.stderr, /delivery/);
    const forcedOff = await render(major, { payload: { delivery: 'image-volume' }, controller: { mode: 'off' } });
    t.equal(envMap(webhookEnv(forcedOff)).INJECT_DELIVERY, 'image-volume', 'image-volume works without the controller (no snapshot: as configured)');
  });
}
