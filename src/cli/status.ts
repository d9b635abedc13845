import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { outputOption, stringOption, type Values } from './args.js';
import { EXIT, inputError, usageError } from './errors.js';
import { controllerState, type ControllerState } from './controller-state.js';
import type { CliIo } from './io.js';
import { call, connect, find, type Kube } from './kube.js';
import { podReport, type PodReport, type PodState } from './pod-state.js';
import { matches, selectorText } from './selector.js';
import { table } from './table.js';
import { readWebhook, webhookConfigName, type WebhookView } from './webhook-config.js';

export interface NamespaceReport {
  readonly name: string;
  readonly optedIn: boolean;
  readonly pods: readonly PodReport[];
  readonly counts: Readonly<Record<PodState, number>>;
}

export interface StatusReport {
  readonly context: string;
  readonly webhookConfig: string;
  readonly selector: string;
  readonly note: string | undefined;
  /** The controller's state, from its Lease; undefined when the webhook is not reached through a Service. */
  readonly controller: ControllerState | undefined;
  readonly namespaces: readonly NamespaceReport[];
}

const STATES: readonly PodState[] = ['injected', 'skipped', 'bypassed', 'not-seen', 'not-opted-in', 'excluded'];

async function namespacesOf(kube: Kube, all: boolean, name: string): Promise<V1Namespace[]> {
  if (all) return (await call(kube, { verb: 'list', resource: 'namespaces' }, () => kube.core.listNamespace())).items;
  const one = await find(kube, { verb: 'get', resource: 'namespaces' }, () => kube.core.readNamespace({ name }));
  if (one === undefined) throw inputError(`namespace "${name}" not found (context "${kube.context}")`);
  return [one];
}

async function podsOf(kube: Kube, all: boolean, namespace: string): Promise<V1Pod[]> {
  if (all) return (await call(kube, { verb: 'list', resource: 'pods' }, () => kube.core.listPodForAllNamespaces())).items;
  return (await call(kube, { verb: 'list', resource: 'pods', namespace }, () => kube.core.listNamespacedPod({ namespace }))).items;
}

function namespaceReport(namespace: V1Namespace, pods: readonly V1Pod[], webhook: WebhookView): NamespaceReport {
  const name = namespace.metadata?.name ?? '';
  const optedIn = matches(webhook.namespaceSelector, namespace.metadata?.labels);
  const reports = pods
    .filter((pod) => pod.metadata?.namespace === name)
    .map((pod) => podReport(pod, optedIn, webhook.objectSelector))
    .sort((a, b) => a.workload.localeCompare(b.workload) || a.name.localeCompare(b.name));
  const counts = Object.fromEntries(STATES.map((state) => [state, reports.filter((r) => r.state === state).length])) as Record<PodState, number>;
  return { name, optedIn, pods: reports, counts };
}

export async function statusReport(kube: Kube, values: Values): Promise<StatusReport> {
  const all = values['all-namespaces'] === true;
  const namespace = stringOption(values, 'namespace');
  if (all && namespace !== undefined) throw usageError('status: -n and -A cannot be used together');
  const target = namespace ?? kube.namespace;
  const webhook = await readWebhook(kube, webhookConfigName(values));
  // One after the other: the first missing permission is always the same one.
  const namespaces = await namespacesOf(kube, all, target);
  const pods = await podsOf(kube, all, target);
  const reports = namespaces
    .map((ns) => namespaceReport(ns, pods, webhook))
    .filter((report) => !all || report.optedIn || report.pods.some((pod) => pod.state !== 'not-opted-in'))
    .sort((a, b) => a.name.localeCompare(b.name));
  const note = webhook.problem === undefined ? undefined : `${webhook.problem}: opt-in judged by the chart's default label otel-injector.io/inject=enabled`;
  const controller = await controllerState(kube, webhook, Date.now());
  return { context: kube.context, webhookConfig: webhook.name, selector: selectorText(webhook.namespaceSelector), note, controller, namespaces: reports };
}

function summaryLine(ns: NamespaceReport): string {
  const counts = STATES.filter((state) => ns.counts[state] > 0).map((state) => `${ns.counts[state]} ${state}`);
  const optIn = ns.optedIn ? 'opted in' : 'NOT opted in (pods are never sent to the webhook)';
  return `namespace ${ns.name}: ${optIn}; ${ns.pods.length} pods${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`;
}

function namespaceText(ns: NamespaceReport, width: number | undefined): string {
  const lines = [summaryLine(ns)];
  if (ns.pods.length > 0) {
    let previous = '';
    const rows = ns.pods.map((pod) => {
      const workload = pod.workload === previous ? '' : pod.workload;
      previous = pod.workload;
      return [workload, pod.name, pod.state, pod.payload ?? '-', pod.detail];
    });
    lines.push(table(['WORKLOAD', 'POD', 'STATE', 'PAYLOAD', 'DETAIL'], rows, width));
  }
  return lines.join('\n');
}

export function statusText(report: StatusReport, width: number | undefined): string {
  const head = [`context ${report.context}; webhook ${report.webhookConfig} selects namespaces with ${report.selector}`];
  if (report.note !== undefined) head.push(`note: ${report.note}`);
  if (report.controller !== undefined) head.push(`controller: ${report.controller.text}`);
  if (report.namespaces.length === 0) head.push('no namespace is opted in and no pod carries an otel-injector status');
  return `${[...head, ...report.namespaces.map((ns) => namespaceText(ns, width))].join('\n\n')}\n`;
}

export async function runStatus(values: Values, io: CliIo): Promise<number> {
  const output = outputOption(values, ['table', 'json'], 'table');
  const kube = connect(values, io);
  const report = await statusReport(kube, values);
  io.stdout(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : statusText(report, io.columns));
  return EXIT.ok;
}
