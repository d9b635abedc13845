// Assertions every rendering with the controller on (controller.mode report or restart) must satisfy.
import type { Test } from 'tap';
import { restrictedViolations } from '../../support/pod-security.js';
import { selectorMatches, type LabelSelector } from './selector.js';
import { all, containerOf, deploymentWith, dig, FULLNAME, NAMESPACE, one, type Manifest, type Obj } from './render.js';

export const CONTROLLER = `${FULLNAME}-controller`;

/** Objects of the controller: its Deployment, ServiceAccount and RBAC (name <fullname>-controller). */
export function controllerObjects(manifests: readonly Manifest[], name = CONTROLLER): Manifest[] {
  return manifests.filter((m) => m.metadata.name === name);
}

/** <fullname>-controller, from the webhook Deployment's name (which is the full name). */
function controllerName(manifests: readonly Manifest[]): string {
  return `${deploymentWith(manifests, 'webhook').metadata.name}-controller`;
}

export function controllerPodTemplate(manifests: readonly Manifest[]): { metadata: Obj; spec: Obj } {
  return dig(deploymentWith(manifests, 'controller'), 'spec', 'template') as { metadata: Obj; spec: Obj };
}

function podLabels(template: { metadata: Obj }): Record<string, string> {
  return template.metadata.labels as Record<string, string>;
}

function checkContainer(t: Test, manifests: readonly Manifest[]): void {
  const c = containerOf(manifests, 'controller');
  const webhook = containerOf(manifests, 'webhook');
  t.equal(c.image, webhook.image, 'same image as the webhook');
  t.equal(c.imagePullPolicy, webhook.imagePullPolicy, 'same pull policy as the webhook');
  t.same(c.args, ['/app/dist/main.js', 'controller'], 'started as `node /app/dist/main.js controller` (the image ENTRYPOINT is node)');
  t.equal(c.command, undefined, 'the image ENTRYPOINT is kept');
  t.same(c.securityContext, webhook.securityContext, 'same container securityContext as the webhook');
  t.equal(dig(c, 'securityContext', 'readOnlyRootFilesystem'), true, 'read-only root filesystem');
  t.same(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }], 'plain HTTP on 8080');
  const probes: [string, string][] = [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']];
  for (const [probe, path] of probes) {
    t.same(dig(c, probe, 'httpGet'), { path, port: 'http' }, `${probe}: GET ${path} on 8080 over HTTP`);
  }
  t.ok(dig(c, 'resources', 'requests', 'memory'), 'memory request set');
  t.ok(dig(c, 'resources', 'limits', 'memory'), 'memory limit set');
  t.same(c.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }], 'only /tmp is writable');
}

function checkPod(t: Test, manifests: readonly Manifest[], name: string): void {
  t.equal(deploymentWith(manifests, 'controller').metadata.name, name, 'Deployment <fullname>-controller');
  const tpl = controllerPodTemplate(manifests);
  t.same(restrictedViolations(tpl), [], 'controller pod passes Pod Security restricted');
  t.same(tpl.spec.securityContext, podTemplate(manifests).spec.securityContext, 'same pod securityContext as the webhook');
  t.equal(tpl.spec.serviceAccountName, name, 'its own ServiceAccount');
  t.equal(tpl.spec.automountServiceAccountToken, true, 'token mounted: it watches the API server');
  t.equal(podLabels(tpl)['otel-injector.io/component'], 'controller', 'pod label component: controller');
  t.same(tpl.spec.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }]);
  const sa = one(manifests, 'ServiceAccount', name);
  t.equal(sa.metadata.namespace, NAMESPACE);
  t.equal(sa.automountServiceAccountToken, true);
}

function podTemplate(manifests: readonly Manifest[]): { metadata: Obj; spec: Obj } {
  return dig(deploymentWith(manifests, 'webhook'), 'spec', 'template') as { metadata: Obj; spec: Obj };
}

/** Neither side's selectors pick the other's pods: the webhook Service must never route to a controller pod. */
function checkSelectorsDisjoint(t: Test, manifests: readonly Manifest[]): void {
  const ctlLabels = podLabels(controllerPodTemplate(manifests));
  const webhookLabels = podLabels(podTemplate(manifests));
  const ctlSelector = dig(deploymentWith(manifests, 'controller'), 'spec', 'selector') as LabelSelector;
  t.ok(selectorMatches(ctlSelector, ctlLabels), 'controller Deployment selects its own pods');
  t.notOk(selectorMatches(ctlSelector, webhookLabels), 'and not the webhook pods');
  const webhookSelectors: [string, unknown][] = [
    ['webhook Deployment', dig(deploymentWith(manifests, 'webhook'), 'spec', 'selector')],
    ['webhook Service', { matchLabels: dig(one(manifests, 'Service'), 'spec', 'selector') }],
    ...all(manifests, 'PodDisruptionBudget').map((p): [string, unknown] => [`PodDisruptionBudget ${p.metadata.name}`, dig(p, 'spec', 'selector')]),
  ];
  for (const [what, sel] of webhookSelectors) t.notOk(selectorMatches(sel as LabelSelector, ctlLabels), `${what} does not select controller pods`);
  const spread = dig(controllerPodTemplate(manifests), 'spec', 'topologySpreadConstraints', 0, 'labelSelector') as LabelSelector;
  t.ok(selectorMatches(spread, ctlLabels) && !selectorMatches(spread, webhookLabels), 'controller pods are spread among themselves');
}

function checkBindings(t: Test, manifests: readonly Manifest[], name: string): void {
  for (const kind of ['RoleBinding', 'ClusterRoleBinding']) {
    const found = all(manifests, kind).filter((b) => b.metadata.name === name);
    for (const b of found) {
      t.same(b.subjects, [{ kind: 'ServiceAccount', name, namespace: NAMESPACE }], `${kind} binds the controller's ServiceAccount only`);
      t.same(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: kind.replace('Binding', ''), name }, `${kind} refers to the controller's ${kind.replace('Binding', '')}`);
    }
  }
  for (const kind of ['RoleBinding', 'ClusterRoleBinding']) {
    for (const b of all(manifests, kind).filter((x) => x.metadata.name !== name)) {
      t.notOk((b.subjects as Obj[]).some((s) => s.name === name), `${kind} ${b.metadata.name} gives the controller nothing more`);
    }
  }
}

/** Invariants of every rendering where the controller is on. */
export function checkController(t: Test, manifests: readonly Manifest[]): void {
  const name = controllerName(manifests);
  checkContainer(t, manifests);
  checkPod(t, manifests, name);
  checkSelectorsDisjoint(t, manifests);
  checkBindings(t, manifests, name);
}
