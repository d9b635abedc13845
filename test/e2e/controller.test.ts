// The controller against a real kube-apiserver and kube-controller-manager: Deployments,
// StatefulSets and DaemonSets really create their pods through the webhook; a status writer stands in
// for the kubelet. One control plane for every case.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, BatchV1Api, CoordinationV1Api, PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { startControlPlane, startWebhook, type Webhook } from './harness.js';
import { parseManifests, pointWebhookAt, renderChart } from './chart.js';
import { INJECT_LABEL, apis, applyWebhookConfig, createNamespace, eventually, isInjected } from './kube.js';
import { NEVER_READY, chartControllerKubeconfig, createFakeNode, logLines, startController, startControllerManager, startStatusWriter, type ControllerProc } from './controller-support.js';
import { loopbackServingCert } from './pki.js';
import { freePort } from './procs.js';
import { observeRollouts } from './rollouts.js';
import { identityHost } from '../../src/controller/identity.js';
import { startReceiver } from '../support/receiver.mjs';

const PRELOAD_IMAGE = 'registry.invalid/e2e/otel-preload:e2e';
const RESTARTED_AT = 'otel-injector.io/restarted-at';
const LEASE = 'otel-injector-controller';

const cp = await startControlPlane(t);
const { core, admission } = apis(cp.kubeConfig);
const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
const coordination = cp.kubeConfig.makeApiClient(CoordinationV1Api);
await createNamespace(core, 'otel-injector');
await startControllerManager(t, cp);
await createFakeNode(core);
const testNamespaces: string[] = [];
startStatusWriter(t, core, () => testNamespaces);

// One port and one certificate for every start of the webhook: the configuration's url and caBundle stay valid.
const webhookPort = await freePort();
const webhookCert = loopbackServingCert('e2e-webhook-ca');
const startOurWebhook = (): Promise<Webhook> => startWebhook(t, cp.dir, { port: webhookPort, cert: webhookCert, env: { INJECT_PAYLOAD_IMAGE: PRELOAD_IMAGE } });
let webhook = await startOurWebhook();
await applyWebhookConfig(admission, pointWebhookAt(parseManifests(await renderChart()), `${webhook.url}/mutate`, webhook.caPem));
// Every controller below runs as the chart's controller ServiceAccount, with the chart's RBAC.
const controllerKubeconfig = await chartControllerKubeconfig(cp);
const startCtl = (identity: string, env: Record<string, string>): Promise<ControllerProc> => startController(t, cp, identity, env, controllerKubeconfig);

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const labels = (app: string): Record<string, string> => ({ app });

function template(app: string): V1PodTemplateSpec {
  return {
    metadata: { labels: labels(app) },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      terminationGracePeriodSeconds: 0,
      containers: [{
        name: 'app',
        image: 'registry.invalid/e2e/python-app:1',
        securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
      }],
    },
  };
}

async function deployment(namespace: string, name: string, replicas = 2, change: (tpl: V1PodTemplateSpec) => void = () => undefined, progressDeadlineSeconds?: number): Promise<void> {
  const tpl = template(name);
  change(tpl);
  await apps.createNamespacedDeployment({ namespace, body: { metadata: { name }, spec: { replicas, progressDeadlineSeconds, selector: { matchLabels: labels(name) }, template: tpl, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } } });
}

async function statefulSet(namespace: string, name: string): Promise<void> {
  await apps.createNamespacedStatefulSet({ namespace, body: { metadata: { name }, spec: { replicas: 2, serviceName: name, podManagementPolicy: 'Parallel', selector: { matchLabels: labels(name) }, template: template(name) } } });
}

async function daemonSet(namespace: string, name: string): Promise<void> {
  await apps.createNamespacedDaemonSet({ namespace, body: { metadata: { name }, spec: { selector: { matchLabels: labels(name) }, template: template(name) } } });
}

async function job(namespace: string, name: string): Promise<void> {
  const spec = template(name);
  await batch.createNamespacedJob({ namespace, body: { metadata: { name }, spec: { backoffLimit: 0, template: { ...spec, spec: { ...spec.spec!, restartPolicy: 'Never' } } } } });
}

async function barePod(namespace: string, name: string): Promise<void> {
  const spec = template(name);
  await core.createNamespacedPod({ namespace, body: { metadata: { name, labels: labels(name) }, spec: spec.spec! } });
}

async function pods(namespace: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace })).items.filter((p) => p.metadata?.deletionTimestamp === undefined);
}

async function label(namespace: string): Promise<void> {
  await core.patchNamespace({ name: namespace, body: { metadata: { labels: { [INJECT_LABEL]: 'enabled' } } } }, merge);
}

async function leaseHolderIdentity(): Promise<string> {
  try {
    return (await coordination.readNamespacedLease({ name: LEASE, namespace: 'otel-injector' })).spec?.holderIdentity ?? '';
  } catch {
    return '';
  }
}

/** The POD_NAME of the replica holding the Lease (its identity is that plus a random suffix). */
async function leaseHolder(): Promise<string> {
  return identityHost(await leaseHolderIdentity());
}

async function eventsFor(namespace: string, name: string): Promise<Array<{ reason: string; message: string; type: string }>> {
  const list = await core.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.involvedObject.name === name).map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', type: e.type ?? '' }));
}

const restartEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  CONTROLLER_MODE: 'restart',
  CONTROLLER_MAX_CONCURRENT: '2',
  CONTROLLER_MIN_INTERVAL_SECONDS: '1',
  CONTROLLER_ROLLOUT_TIMEOUT_SECONDS: '120',
  CONTROLLER_LEASE_NAME: LEASE,
  CONTROLLER_LEASE_DURATION_SECONDS: '4',
  CONTROLLER_WEBHOOK_PROBE_URL: `${webhook.url}/readyz`,
  CONTROLLER_EXCLUDE_NAMESPACES: 'otel-injector,kube-system',
  INJECT_PAYLOAD_IMAGE: PRELOAD_IMAGE,
  ...extra,
});

t.test('restart: a namespace labelled after its workloads started rolls each one once, two at a time; the other replica takes over from a killed leader', async (t) => {
  const ns = 'ctl-late';
  await createNamespace(core, ns);
  testNamespaces.push(ns);
  for (const name of ['api', 'orders', 'payments']) await deployment(ns, name);
  await statefulSet(ns, 'ledger');
  await daemonSet(ns, 'agent');
  await job(ns, 'migrate');
  await barePod(ns, 'debug');
  await deployment(ns, 'optout', 1, (tpl) => { tpl.metadata = { ...tpl.metadata, annotations: { 'otel-injector.io/inject': 'false' } }; });
  const other = 'ctl-not-opted-in';
  await createNamespace(core, other);
  testNamespaces.push(other);
  await deployment(other, 'outside', 1);
  const before = await eventually(() => pods(ns), (p) => p.length === 2 * 3 + 2 + 1 + 1 + 1 + 1, 60_000);
  t.equal(before.length, 12, 'every workload has its pods (created before the label: none injected)');
  t.notOk(before.some(isInjected), 'no pod injected before the label');
  const bareUid = before.find((p) => p.metadata?.name === 'debug')?.metadata?.uid;
  const jobPodUid = before.find((p) => p.metadata?.labels?.['job-name'] === 'migrate')?.metadata?.uid;

  const observed = await observeRollouts(cp.kubeConfig, ns);
  t.teardown(observed.stop);
  const a = await startCtl('ctl-a', restartEnv());
  const b = await startCtl('ctl-b', restartEnv());
  await label(ns);

  // Kill the leader (SIGKILL: no release) once the first restart is under way.
  await eventually(async () => observed.restarts.size, (n) => n >= 1, 60_000);
  const leader = await leaseHolder();
  t.ok(leader === 'ctl-a' || leader === 'ctl-b', `one replica holds the lease (${leader})`);
  t.match(await leaseHolderIdentity(), /^ctl-[ab]_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'its identity is the pod name plus a random suffix, as client-go makes it');
  const [killed, survivor]: [ControllerProc, ControllerProc] = leader === 'ctl-a' ? [a, b] : [b, a];
  process.kill(-(killed.proc.child.pid ?? 0), 'SIGKILL');
  await killed.proc.exited();
  t.equal(await eventually(leaseHolder, (h) => h === survivor.identity, 30_000), survivor.identity, 'the other replica takes the lease over');

  const all = ['Deployment/api', 'Deployment/orders', 'Deployment/payments', 'StatefulSet/ledger', 'DaemonSet/agent'];
  const settled = await eventually(async () => pods(ns), (p) => p.filter(isInjected).length === 9 && all.every((k) => observed.restarts.has(k)), 150_000);
  t.equal(settled.filter(isInjected).length, 9, 'every pod of the five workloads is now injected');
  for (const key of all) t.equal(observed.restarts.get(key)?.size, 1, `${key} restarted exactly once`);
  const starts = [...logLines(a.proc), ...logLines(b.proc)].filter((l) => String(l.msg).startsWith('controller: restarting '));
  t.equal(starts.length, all.length, `${all.length} restarts started in all, across both replicas: only the leader acts`);
  t.notOk(observed.restarts.has('Deployment/optout'), 'a workload whose pods opt out is never restarted');
  const outside = await apps.readNamespacedDeployment({ name: 'outside', namespace: other });
  t.equal(outside.metadata?.generation, 1, 'a workload in a namespace that is not opted in is never touched');
  t.ok(observed.maxRolling() <= 2, `never more than 2 rolling at once (max seen ${observed.maxRolling()})`);
  const bare = settled.find((p) => p.metadata?.name === 'debug');
  t.equal(bare?.metadata?.uid, bareUid, 'the bare pod is untouched');
  t.equal(settled.find((p) => p.metadata?.labels?.['job-name'] === 'migrate')?.metadata?.uid, jobPodUid, "the Job's pod is untouched");
  const bareEvents = await eventsFor(ns, 'debug');
  t.match(bareEvents.find((e) => e.reason === 'Uninstrumented')?.message ?? '', /never restarted by otel-injector/, 'the bare pod is reported');
  t.ok((await eventsFor(ns, 'migrate')).some((e) => e.reason === 'Uninstrumented'), 'the Job is reported');
  const apiEvents = await eventually(() => eventsFor(ns, 'api'), (e) => e.some((x) => x.reason === 'InstrumentationRestarted'), 30_000);
  t.ok(apiEvents.some((e) => e.reason === 'InstrumentationRestart') && apiEvents.some((e) => e.reason === 'InstrumentationRestarted'), 'restart start and completion are Events on the Deployment');
  const d = await apps.readNamespacedDeployment({ name: 'api', namespace: ns });
  t.equal(d.metadata?.annotations?.['otel-injector.io/restart-state'], 'done', 'the workload records the restart as done');
  t.equal(d.metadata?.annotations?.['otel-injector.io/restart-reason'], 'not-seen');
  await survivor.proc.stop();
});

t.test('restart: a pod created while the webhook was down is found, and its Deployment rolled once the webhook is back', async (t) => {
  const ns = 'ctl-down';
  await createNamespace(core, ns, { [INJECT_LABEL]: 'enabled' });
  testNamespaces.push(ns);
  await deployment(ns, 'web', 1);
  const first = await eventually(() => pods(ns), (p) => p.length === 1 && p.every(isInjected), 60_000);
  t.ok(first.every(isInjected), 'created with the webhook up: injected');
  const ctl = await startCtl('ctl-c', restartEnv());

  await webhook.stop();
  await core.deleteNamespacedPod({ name: first[0]?.metadata?.name ?? '', namespace: ns });
  const replaced = await eventually(() => pods(ns), (p) => p.length === 1 && p[0]?.metadata?.uid !== first[0]?.metadata?.uid, 60_000);
  t.notOk(replaced.some(isInjected), 'the replacement pod was admitted without the webhook (fail open): not injected');
  await eventually(async () => logLines(ctl.proc), (l) => l.some((x) => String(x.msg).includes('restarts wait: the webhook is not ready')), 30_000);
  const waiting = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  t.equal(waiting.spec?.template?.metadata?.annotations?.[RESTARTED_AT], undefined, 'nothing restarted while the webhook is down');

  // Back, but with a certificate the configuration's caBundle does not verify (as after a botched
  // rotation): the API server would refuse it, so the controller must keep waiting.
  const wrong = await startWebhook(t, cp.dir, { port: webhookPort, cert: loopbackServingCert('not-the-ca-bundle'), env: { INJECT_PAYLOAD_IMAGE: PRELOAD_IMAGE }, logName: 'webhook-wrong-cert' });
  await eventually(async () => logLines(ctl.proc), (l) => l.some((x) => String(x.msg).includes('the caBundle of the webhook configuration does not verify its certificate')), 30_000);
  const stillWaiting = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  t.equal(stillWaiting.spec?.template?.metadata?.annotations?.[RESTARTED_AT], undefined, 'a webhook whose certificate the caBundle does not verify counts as not ready: nothing restarted');
  await wrong.stop();

  webhook = await startOurWebhook();
  const after = await eventually(() => pods(ns), (p) => p.length === 1 && p.every(isInjected), 60_000);
  t.ok(after.every(isInjected), 'webhook back: the Deployment was rolled and its new pod is injected');
  const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  t.type(d.spec?.template?.metadata?.annotations?.[RESTARTED_AT], 'string', 'rolled by the controller');
  await ctl.proc.stop();
});

t.test('report: changes nothing, emits the Event, the log line and the metric (/metrics and OTLP)', async (t) => {
  const ns = 'ctl-report';
  await createNamespace(core, ns);
  testNamespaces.push(ns);
  await deployment(ns, 'kitchen', 1);
  await eventually(() => pods(ns), (p) => p.length === 1, 60_000);
  await label(ns);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const ctl = await startCtl('ctl-r', {
    CONTROLLER_MODE: 'report',
    CONTROLLER_LEASE_NAME: LEASE,
    CONTROLLER_EXCLUDE_NAMESPACES: 'otel-injector,kube-system',
    INJECT_PAYLOAD_IMAGE: PRELOAD_IMAGE,
    TELEMETRY_OTLP_ENDPOINT: receiver.url,
    TELEMETRY_EXPORT_INTERVAL_MS: '500',
  });
  const events = await eventually(() => eventsFor(ns, 'kitchen'), (e) => e.some((x) => x.reason === 'Uninstrumented'), 30_000);
  t.match(events.find((e) => e.reason === 'Uninstrumented')?.message ?? '', /1 pod not instrumented by otel-injector \(not-seen: .*kubectl rollout restart deployment\/kitchen -n ctl-report/, 'the Event tells what happened and what to do');
  const metrics = await eventually(() => ctl.get('/metrics'), (m) => /otel_injector_workloads_uninstrumented\{[^}]*k8s_namespace_name="ctl-report"[^}]*\} 1/.test(m.body), 30_000);
  t.match(metrics.body, /otel_injector_workloads_uninstrumented\{[^}]*reason="not-seen"[^}]*\} 1/, '/metrics counts the workload by namespace and reason');
  const gauge = (): { attributes: Record<string, unknown>; value?: number } | undefined =>
    receiver.metrics.filter((m) => m.name === 'otel_injector.workloads.uninstrumented').flatMap((m) => m.points).find((p) => p.attributes['k8s.namespace.name'] === 'ctl-report');
  await eventually(async () => gauge(), (p) => p !== undefined, 30_000);
  t.match(gauge(), { attributes: { reason: 'not-seen' }, value: 1 }, 'and the same gauge arrives over OTLP');
  const summary = logLines(ctl.proc).find((l) => (l.condition as { type?: string } | undefined)?.type === 'AllPodsInstrumented');
  t.match(summary, { condition: { status: 'False', reason: 'PodsNotInstrumented' } }, 'one condition-style summary line in the log');
  await sleep(3000);
  const d = await apps.readNamespacedDeployment({ name: 'kitchen', namespace: ns });
  t.equal(d.metadata?.generation, 1, 'the Deployment was never changed');
  t.equal((await pods(ns)).filter(isInjected).length, 0, 'its pod still runs as it was');
  await ctl.proc.stop();
});

t.test('restart with dryRun: logs what it would restart, patches nothing', async (t) => {
  const ns = 'ctl-dry';
  await createNamespace(core, ns);
  testNamespaces.push(ns);
  await deployment(ns, 'oven', 1);
  await eventually(() => pods(ns), (p) => p.length === 1, 60_000);
  await label(ns);
  const ctl = await startCtl('ctl-d', restartEnv({ CONTROLLER_DRY_RUN: 'true', CONTROLLER_WEBHOOK_PROBE_URL: `${webhook.url}/readyz` }));
  const lines = await eventually(async () => logLines(ctl.proc), (l) => l.some((x) => String(x.msg).includes('Deployment/ctl-dry/oven: dry run: would restart it')), 30_000);
  t.ok(lines.some((x) => String(x.msg).includes('dry run: would restart it (not-seen: 1 pod(s))')), 'the would-be restart is logged');
  await sleep(2000);
  const d = await apps.readNamespacedDeployment({ name: 'oven', namespace: ns });
  t.equal(d.metadata?.generation, 1, 'nothing patched');
  await ctl.proc.stop();
});

t.test('restart: a rollout that fails stops the restarts and says so', async (t) => {
  const ns = 'ctl-stuck';
  await createNamespace(core, ns);
  testNamespaces.push(ns);
  // pods that never become Ready: the rollout hits its progress deadline
  await deployment(ns, 'a-stuck', 1, (tpl) => { tpl.metadata = { ...tpl.metadata, labels: { ...tpl.metadata?.labels, [NEVER_READY]: 'yes' } }; }, 5);
  await deployment(ns, 'b-next', 1);
  await eventually(() => pods(ns), (p) => p.length === 2, 60_000);
  const ctl = await startCtl('ctl-s', restartEnv({ CONTROLLER_MAX_CONCURRENT: '1' }));
  await label(ns);
  const stuck = await eventually(() => apps.readNamespacedDeployment({ name: 'a-stuck', namespace: ns }), (d) => d.metadata?.annotations?.['otel-injector.io/restart-state'] === 'failed', 90_000);
  t.equal(stuck.metadata?.annotations?.['otel-injector.io/restart-state'], 'failed', 'the failed rollout is recorded on the workload');
  // the Event follows the annotation (the controller records the state, then says why): wait for it
  const events = await eventually(() => eventsFor(ns, 'a-stuck'), (e) => e.some((x) => x.reason === 'InstrumentationRestartFailed'), 30_000);
  t.match(events.find((e) => e.reason === 'InstrumentationRestartFailed'), { type: 'Warning', message: /ProgressDeadlineExceeded|timed out progressing/ }, 'a Warning Event says why');
  await eventually(async () => logLines(ctl.proc), (l) => l.some((x) => String(x.msg).includes('restarts stopped: the rollout of Deployment/ctl-stuck/a-stuck failed')), 30_000);
  await sleep(3000);
  const next = await apps.readNamespacedDeployment({ name: 'b-next', namespace: ns });
  t.equal(next.spec?.template?.metadata?.annotations?.[RESTARTED_AT], undefined, 'the next workload is not restarted after a failure');

  // The user fixes the workload (its pods can start now) and removes the failed state, as the chart README says.
  await apps.patchNamespacedDeployment({ name: 'a-stuck', namespace: ns, body: { metadata: { annotations: { 'otel-injector.io/restart-state': null } }, spec: { template: { metadata: { labels: { [NEVER_READY]: null } } } } } }, merge);
  const resumed = await eventually(() => apps.readNamespacedDeployment({ name: 'b-next', namespace: ns }), (d) => d.metadata?.annotations?.['otel-injector.io/restart-state'] === 'done', 90_000);
  t.equal(resumed.metadata?.annotations?.['otel-injector.io/restart-state'], 'done', 'with the failed state removed, restarts resume: the next workload is rolled');
  t.ok(logLines(ctl.proc).some((l) => String(l.msg).includes('restarts resume')), 'and the log says so');
  await ctl.proc.stop();
});
