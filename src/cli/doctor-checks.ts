// The checks of `doctor`, each one finding (pass / warn / fail / skip) with what to do.
import type { V1MutatingWebhook, V1Namespace, V1Pod, V1Service } from '@kubernetes/client-node';
import { CliError, EXIT } from './errors.js';
import { apiError, call, find, statusOf, type Kube } from './kube.js';
import { podReport } from './pod-state.js';
import { probePod } from './probe.js';
import { matches, selectorText } from './selector.js';
import { httpsGet } from './tls.js';

export type Result = 'pass' | 'warn' | 'fail' | 'skip';

export interface Finding {
  readonly check: string;
  readonly result: Result;
  readonly message: string;
  readonly hint?: string;
}

export interface DoctorContext {
  readonly kube: Kube;
  readonly now: Date;
  readonly timeoutMs: number;
  readonly entry: V1MutatingWebhook;
  readonly configName: string;
  /** Namespaces the user expects to be instrumented (-n). */
  readonly expected: readonly string[];
}

export const finding = (check: string, result: Result, message: string, hint?: string): Finding => ({ check, result, message, ...(hint === undefined ? {} : { hint }) });

export function target(entry: V1MutatingWebhook): string {
  const { service, url } = entry.clientConfig;
  if (url !== undefined) return url;
  return `service ${service?.namespace ?? ''}/${service?.name ?? ''}:${service?.port ?? 443}${service?.path ?? ''}`;
}

export function checkRules(ctx: DoctorContext): Finding {
  const covers = (ctx.entry.rules ?? []).some(
    (rule) =>
      (rule.apiGroups ?? []).some((g) => g === '' || g === '*') &&
      (rule.resources ?? []).some((r) => r === 'pods' || r === '*') &&
      (rule.operations ?? []).some((o) => o === 'CREATE' || o === '*'),
  );
  return covers
    ? finding('webhook-config', 'pass', `MutatingWebhookConfiguration ${ctx.configName}: webhook ${ctx.entry.name} calls ${target(ctx.entry)} for pod CREATE`)
    : finding('webhook-config', 'fail', `MutatingWebhookConfiguration ${ctx.configName}: no rule sends pod CREATE to the webhook`, 'reinstall the chart: helm upgrade --install');
}

export function checkPolicy(ctx: DoctorContext): Finding {
  const policy = ctx.entry.failurePolicy ?? 'Fail';
  const timeout = ctx.entry.timeoutSeconds ?? 10;
  if (policy === 'Fail') {
    return finding('failure-policy', 'warn', `failurePolicy Fail, timeoutSeconds ${timeout}: while the webhook is down no pod can be created in opted-in namespaces`, 'webhook.failurePolicy=Ignore (the chart default) lets pods start uninstrumented instead');
  }
  const slow = timeout > 10 ? finding('failure-policy', 'warn', `failurePolicy ${policy}, timeoutSeconds ${timeout}: a hung webhook delays every pod creation by ${timeout}s`, 'webhook.timeoutSeconds: 5 (the chart default)') : undefined;
  return slow ?? finding('failure-policy', 'pass', `failurePolicy ${policy}, timeoutSeconds ${timeout}: while the webhook is down pods start uninstrumented (they show as not-seen in status)`);
}

export async function readService(ctx: DoctorContext): Promise<{ finding: Finding; service: V1Service | undefined }> {
  const ref = ctx.entry.clientConfig.service;
  if (ref === undefined) return { finding: finding('service', 'skip', `the webhook is called by URL ${ctx.entry.clientConfig.url ?? ''}: no Service involved`), service: undefined };
  const what = { verb: 'get', resource: 'services', namespace: ref.namespace };
  const service = await find(ctx.kube, what, () => ctx.kube.core.readNamespacedService({ name: ref.name, namespace: ref.namespace }));
  if (service === undefined) {
    return {
      finding: finding('service', 'fail', `Service ${ref.namespace}/${ref.name} not found: the API server cannot call the webhook, pods are created uninstrumented`, `recreate it: helm upgrade --install <release> otel-injector -n ${ref.namespace} (or kubectl apply the chart's service.yaml)`),
      service: undefined,
    };
  }
  const port = ref.port ?? 443;
  if (!(service.spec?.ports ?? []).some((p) => p.port === port)) {
    return { finding: finding('service', 'fail', `Service ${ref.namespace}/${ref.name} has no port ${port} (the webhook configuration calls that port)`, 'service.port in the chart values sets both'), service };
  }
  return { finding: finding('service', 'pass', `Service ${ref.namespace}/${ref.name} exists with port ${port}`), service };
}

/** Ready endpoints of a Service, from its EndpointSlices. */
export async function readyEndpoints(kube: Kube, namespace: string, name: string): Promise<number> {
  const slices = await call(kube, { verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace }, () =>
    kube.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` }),
  );
  return slices.items.flatMap((slice) => slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false).length;
}

export async function checkEndpoints(ctx: DoctorContext, service: V1Service | undefined): Promise<Finding> {
  const ref = ctx.entry.clientConfig.service;
  if (ref === undefined || service === undefined) return finding('endpoints', 'skip', ref === undefined ? 'no Service involved' : 'no Service to look at');
  const ready = await readyEndpoints(ctx.kube, ref.namespace, ref.name);
  return ready > 0
    ? finding('endpoints', 'pass', `Service ${ref.namespace}/${ref.name} has ${ready} ready endpoint(s)`)
    : finding('endpoints', 'fail', `Service ${ref.namespace}/${ref.name} has no ready endpoints: no webhook pod is ready`, `kubectl -n ${ref.namespace} get pods -l app.kubernetes.io/name=otel-injector; kubectl -n ${ref.namespace} logs deploy/${ref.name}`);
}

export async function optedInNamespaces(ctx: DoctorContext): Promise<V1Namespace[]> {
  const all = await call(ctx.kube, { verb: 'list', resource: 'namespaces' }, () => ctx.kube.core.listNamespace());
  return all.items.filter((ns) => matches(ctx.entry.namespaceSelector, ns.metadata?.labels));
}

export async function checkExpected(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const name of ctx.expected) {
    const ns = await find(ctx.kube, { verb: 'get', resource: 'namespaces' }, () => ctx.kube.core.readNamespace({ name }));
    if (ns === undefined) out.push(finding('namespace', 'fail', `namespace ${name} not found`));
    else if (matches(ctx.entry.namespaceSelector, ns.metadata?.labels)) out.push(finding('namespace', 'pass', `namespace ${name} is opted in`));
    else {
      out.push(finding('namespace', 'fail', `namespace ${name} is not selected by the webhook (needs ${selectorText(ctx.entry.namespaceSelector)}): its pods are never instrumented`, `kubectl label namespace ${name} otel-injector.io/inject=enabled, then restart its workloads`));
    }
  }
  return out;
}

export async function checkDryRun(ctx: DoctorContext, namespace: string | undefined): Promise<{ finding: Finding; pod: V1Pod | undefined }> {
  if (namespace === undefined) {
    return { finding: finding('dry-run', 'fail', `no namespace is opted in (none matches ${selectorText(ctx.entry.namespaceSelector)}): nothing is instrumented`, 'kubectl label namespace NAME otel-injector.io/inject=enabled'), pod: undefined };
  }
  try {
    const pod = await ctx.kube.core.createNamespacedPod({ namespace, body: probePod(), dryRun: 'All' });
    const status = pod.metadata?.annotations?.['otel-injector.io/status'];
    if (status !== undefined) return { finding: finding('dry-run', 'pass', `a dry-run pod in ${namespace} came back from the API server with otel-injector.io/status: ${status}`), pod };
    return {
      finding: finding('dry-run', 'fail', `a dry-run pod in ${namespace} came back untouched: the API server could not call the webhook and failed open`, 'the failing check above says why; kube-apiserver logs "failed calling webhook"'),
      pod,
    };
  } catch (error) {
    const mapped = apiError(error, { verb: 'create', resource: 'pods', namespace }, ctx.kube);
    if (mapped.exitCode === EXIT.unreachable && statusOf(error) === 0) throw mapped;
    const result: Result = mapped.exitCode === EXIT.forbidden ? 'warn' : 'fail';
    return { finding: finding('dry-run', result, `dry-run pod in ${namespace}: ${mapped.message}`), pod: undefined };
  }
}

export async function checkNotSeen(ctx: DoctorContext, namespaces: readonly string[]): Promise<Finding> {
  const notSeen: string[] = [];
  for (const namespace of namespaces) {
    const pods = await call(ctx.kube, { verb: 'list', resource: 'pods', namespace }, () => ctx.kube.core.listNamespacedPod({ namespace }));
    for (const pod of pods.items) {
      const report = podReport(pod, true, ctx.entry.objectSelector);
      if (report.state === 'not-seen') notSeen.push(`${namespace}/${report.name} (${report.workload})`);
    }
  }
  if (notSeen.length === 0) return finding('pods', 'pass', `every pod in the ${namespaces.length} opted-in namespace(s) was seen by the webhook`);
  return finding('pods', 'fail', `${notSeen.length} pod(s) in opted-in namespaces were never seen by the webhook (created while it was down or before the label): ${notSeen.join(', ')}`, 'recreate them: kubectl rollout restart deployment/NAME -n NAMESPACE (or delete the pod); the chart\'s controller does it in controller.mode=restart');
}

function envOf(pod: V1Pod | undefined, name: string): string | undefined {
  for (const container of pod?.spec?.containers ?? []) {
    const value = container.env?.find((e) => e.name === name)?.value;
    if (value !== undefined) return value;
  }
  return undefined;
}

function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** `name`, `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local` → the Service; anything else is not one. */
export function serviceOfHost(hostname: string, podNamespace: string): { name: string; namespace: string } | undefined {
  const parts = hostname.split('.');
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (!parts.every((part) => label.test(part))) return undefined;
  const rest = parts.slice(2).join('.');
  if (parts.length === 1) return { name: parts[0] ?? '', namespace: podNamespace };
  if (parts.length === 2 || rest === 'svc' || rest === 'svc.cluster.local') return { name: parts[0] ?? '', namespace: parts[1] ?? '' };
  return undefined;
}

export async function checkCollector(ctx: DoctorContext, pod: V1Pod | undefined, podNamespace: string | undefined): Promise<Finding> {
  const endpoint = envOf(pod, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) return finding('collector', 'skip', 'no injected pod to read the collector endpoint from (see dry-run)');
  const url = new URL(endpoint);
  const ref = serviceOfHost(url.hostname, podNamespace ?? 'default');
  if (ref === undefined) return finding('collector', 'skip', `collector endpoint ${endpoint} is not a cluster Service name: not checked`);
  const { name, namespace } = ref;
  const port = portOf(url);
  const service = await find(ctx.kube, { verb: 'get', resource: 'services', namespace }, () => ctx.kube.core.readNamespacedService({ name, namespace }));
  if (service === undefined) {
    return finding('collector', 'fail', `collector endpoint ${endpoint}: Service ${namespace}/${name} not found, instrumented pods export to nowhere`, 'install the collector (SigNoz: signoz-otel-collector) or set inject.otlpEndpoint in the chart values');
  }
  if (!(service.spec?.ports ?? []).some((p) => p.port === port)) {
    return finding('collector', 'fail', `collector endpoint ${endpoint}: Service ${namespace}/${name} has no port ${port}`, 'OTLP/HTTP is port 4318');
  }
  const ready = await readyEndpoints(ctx.kube, namespace, name);
  return ready > 0
    ? finding('collector', 'pass', `collector endpoint ${endpoint}: Service ${namespace}/${name} port ${port} has ${ready} ready endpoint(s)`)
    : finding('collector', 'fail', `collector endpoint ${endpoint}: Service ${namespace}/${name} has no ready endpoints`, `kubectl -n ${namespace} get pods; is the collector running?`);
}

interface Counts {
  total: number;
  errors: number;
  reasons: Map<string, number>;
}

/** Sums otel_injector_admission_requests by decision from Prometheus text. */
export function admissionCounts(text: string): Counts {
  const counts: Counts = { total: 0, errors: 0, reasons: new Map() };
  for (const line of text.split('\n')) {
    if (!line.startsWith('otel_injector_admission_requests')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    counts.total += value;
    if (/decision="error"/.test(line)) {
      counts.errors += value;
      const reason = /reason="([^"]*)"/.exec(line)?.[1] ?? 'unknown';
      counts.reasons.set(reason, (counts.reasons.get(reason) ?? 0) + value);
    }
  }
  return counts;
}

async function metricsText(ctx: DoctorContext): Promise<string> {
  const { url, service, caBundle } = ctx.entry.clientConfig;
  if (url !== undefined) {
    const ca = caBundle === undefined ? undefined : Buffer.from(caBundle, 'base64').toString('utf8');
    const res = await httpsGet(new URL('/metrics', url).toString(), ca, ctx.timeoutMs);
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    return res.body;
  }
  if (service === undefined) throw new CliError('CLI_NO_TARGET', 'no clientConfig', EXIT.failed);
  return call(ctx.kube, { verb: 'get', resource: 'services/proxy', namespace: service.namespace }, () =>
    ctx.kube.core.connectGetNamespacedServiceProxyWithPath({ name: `https:${service.name}:${service.port ?? 443}`, namespace: service.namespace, path: 'metrics' }),
  );
}

export async function checkMetrics(ctx: DoctorContext, reachable: boolean): Promise<Finding> {
  if (!reachable) return finding('metrics', 'skip', 'the webhook is not reachable (see above)');
  try {
    const counts = admissionCounts(await metricsText(ctx));
    if (counts.errors === 0) return finding('metrics', 'pass', `webhook /metrics: ${counts.total} admission review(s) since it started, none ended in error`);
    const reasons = [...counts.reasons].map(([reason, n]) => `${n}× ${reason}`).join(', ');
    return finding('metrics', 'fail', `webhook /metrics: ${counts.errors} of ${counts.total} admission review(s) ended in error (${reasons}); those pods were admitted uninstrumented`, 'kubectl logs the webhook and look for "internal error"');
  } catch (error) {
    return finding('metrics', 'warn', `webhook /metrics not readable: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
}
