// Assertions every rendering of the chart must satisfy, whatever the values.
import type { Test } from 'tap';
import { restrictedViolations } from '../../support/pod-security.js';
import { checkController } from './controller-checks.js';
import { selectorMatches, type LabelSelector } from './selector.js';
import { all, containerOf, deploymentWith, dig, isHook, NAMESPACE, one, type Manifest, type Obj } from './render.js';

const CLUSTER_SCOPED = new Set(['MutatingWebhookConfiguration', 'ClusterRole', 'ClusterRoleBinding']);

/** The webhook Deployment's pod template. */
export function podTemplate(manifests: readonly Manifest[]): { metadata: Obj; spec: Obj } {
  return dig(deploymentWith(manifests, 'webhook'), 'spec', 'template') as { metadata: Obj; spec: Obj };
}

export function webhookContainer(manifests: readonly Manifest[]): Obj {
  return containerOf(manifests, 'webhook');
}

export function mwcEntry(manifests: readonly Manifest[]): Obj {
  const webhooks = one(manifests, 'MutatingWebhookConfiguration').webhooks as Obj[];
  if (webhooks.length !== 1) throw new Error(`expected one webhook entry, found ${webhooks.length}`);
  return webhooks[0] as Obj;
}

function checkDeployment(t: Test, manifests: readonly Manifest[], drainSeconds: number): void {
  const tpl = podTemplate(manifests);
  t.same(restrictedViolations(tpl), [], 'webhook pod passes Pod Security restricted');
  const c = webhookContainer(manifests);
  t.equal(dig(c, 'securityContext', 'readOnlyRootFilesystem'), true, 'read-only root filesystem');
  t.equal(dig(c, 'livenessProbe', 'httpGet', 'path'), '/healthz');
  t.equal(dig(c, 'readinessProbe', 'httpGet', 'path'), '/readyz');
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    t.equal(dig(c, probe, 'httpGet', 'scheme'), 'HTTPS', `${probe} over HTTPS`);
    t.equal(dig(c, probe, 'httpGet', 'port'), 'https', `${probe} on the https port`);
  }
  t.equal(dig(c, 'ports', 0, 'containerPort'), 8443);
  t.ok(dig(c, 'resources', 'requests', 'memory'), 'memory request set');
  t.ok(dig(c, 'resources', 'limits', 'memory'), 'memory limit set');
  const grace = tpl.spec.terminationGracePeriodSeconds as number;
  t.ok(grace >= drainSeconds + 5, `terminationGracePeriodSeconds ${grace} leaves time after a ${drainSeconds}s drain`);
  const mounts = (c.volumeMounts as Obj[]).map((m) => m.name);
  const volumes = (tpl.spec.volumes as Obj[]).map((v) => v.name);
  for (const m of mounts) t.ok(volumes.includes(m), `mount ${String(m)} names a volume`);
  t.ok(mounts.includes('tmp'), '/tmp is a writable emptyDir');
}

function checkService(t: Test, manifests: readonly Manifest[]): void {
  const svc = one(manifests, 'Service');
  const podLabels = podTemplate(manifests).metadata.labels as Record<string, string>;
  t.ok(selectorMatches({ matchLabels: dig(svc, 'spec', 'selector') as Record<string, string> }, podLabels), 'Service selects the webhook pods');
  t.equal(dig(svc, 'spec', 'ports', 0, 'targetPort'), 'https');
  const cc = dig(mwcEntry(manifests), 'clientConfig', 'service') as Obj;
  t.same(cc, { name: svc.metadata.name, namespace: NAMESPACE, path: '/mutate', port: dig(svc, 'spec', 'ports', 0, 'port') }, 'MWC calls this Service');
  const deploySelector = dig(deploymentWith(manifests, 'webhook'), 'spec', 'selector') as LabelSelector;
  t.ok(selectorMatches(deploySelector, podLabels), 'Deployment selector matches its pod template');
}

function checkMwcInvariants(t: Test, manifests: readonly Manifest[], labelKey: string, labelValue: string): void {
  const w = mwcEntry(manifests);
  t.same(w.admissionReviewVersions, ['v1']);
  t.equal(w.sideEffects, 'None');
  t.equal(w.reinvocationPolicy, 'IfNeeded');
  t.equal(w.matchPolicy, 'Equivalent');
  t.same(w.rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }]);
  t.ok((w.timeoutSeconds as number) >= 1 && (w.timeoutSeconds as number) <= 10, 'timeoutSeconds within 1..10');
  const ns = w.namespaceSelector as LabelSelector;
  const nsLabels = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'kubernetes.io/metadata.name': name, ...extra });
  const on = { [labelKey]: labelValue };
  t.ok(selectorMatches(ns, nsLabels('shop', on)), 'a labelled namespace is selected');
  t.notOk(selectorMatches(ns, nsLabels('shop')), 'an unlabelled namespace is not');
  t.notOk(selectorMatches(ns, nsLabels('shop', { [labelKey]: `${labelValue}-not` })), 'another label value is not');
  t.notOk(selectorMatches(ns, nsLabels(NAMESPACE, on)), 'the release namespace never is, even labelled');
  t.notOk(selectorMatches(ns, nsLabels('kube-system', on)), 'kube-system never is, even labelled');
  const objSel = w.objectSelector as LabelSelector;
  t.notOk(selectorMatches(objSel, podTemplate(manifests).metadata.labels as Record<string, string>), 'objectSelector keeps the webhook pods out');
  t.ok(selectorMatches(objSel, { app: 'shop' }), 'objectSelector lets ordinary pods in');
}

function checkNamespaces(t: Test, manifests: readonly Manifest[]): void {
  for (const m of manifests) {
    if (CLUSTER_SCOPED.has(m.kind)) t.equal(m.metadata.namespace, undefined, `${m.kind} ${m.metadata.name} is cluster-scoped`);
    else t.ok(m.metadata.namespace, `${m.kind} ${m.metadata.name} names its namespace`);
  }
}

function checkTestHook(t: Test, manifests: readonly Manifest[]): void {
  const pods = all(manifests, 'Pod');
  for (const pod of pods) {
    t.ok(isHook(pod), `pod ${pod.metadata.name} is a hook`);
    t.same(restrictedViolations(pod), [], `test pod ${pod.metadata.name} passes Pod Security restricted`);
  }
}

export interface Expectations {
  readonly drainSeconds?: number;
  readonly labelKey?: string;
  readonly labelValue?: string;
}

/** Invariants of every rendering. */
export function checkCommon(t: Test, manifests: readonly Manifest[], e: Expectations = {}): void {
  checkDeployment(t, manifests, e.drainSeconds ?? 5);
  checkService(t, manifests);
  checkMwcInvariants(t, manifests, e.labelKey ?? 'otel-injector.io/inject', e.labelValue ?? 'enabled');
  checkNamespaces(t, manifests);
  checkTestHook(t, manifests);
  const controllers = all(manifests, 'Deployment').length - 1;
  t.ok(controllers === 0 || controllers === 1, 'the webhook Deployment and at most the controller\'s');
  if (controllers === 1) checkController(t, manifests);
}
