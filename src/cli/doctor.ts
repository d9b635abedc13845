import type { V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { listOption, outputOption, stringOption, type Values } from './args.js';
import {
  checkCollector,
  checkDryRun,
  checkEndpoints,
  checkExpected,
  checkMetrics,
  checkNotSeen,
  checkPolicy,
  checkRules,
  optedInNamespaces,
  readService,
  type DoctorContext,
  type Finding,
} from './doctor-checks.js';
import { checkCaBundle } from './doctor-ca.js';
import { checkCollectorCredentials, type Release } from './doctor-collector.js';
import { EXIT, usageError } from './errors.js';
import type { CliIo } from './io.js';
import { connect, find, type Kube } from './kube.js';
import { webhookConfigName } from './webhook-config.js';

function timeoutMs(values: Values): number {
  const text = stringOption(values, 'timeout') ?? '5';
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120) throw usageError(`--timeout ${text}: expected seconds between 0 and 120`);
  return seconds * 1000;
}

async function readConfig(kube: Kube, name: string): Promise<V1MutatingWebhookConfiguration | undefined> {
  return find(kube, { verb: 'get', resource: 'mutatingwebhookconfigurations.admissionregistration.k8s.io' }, () => kube.admission.readMutatingWebhookConfiguration({ name }));
}

/** Where the chart is installed: --release-namespace, else the webhook Service's namespace (unknown for a URL). */
function releaseOf(values: Values, ctx: DoctorContext): Release {
  return { namespace: stringOption(values, 'release-namespace') ?? ctx.entry.clientConfig.service?.namespace, controllerName: `${ctx.configName}-controller` };
}

/** Runs every check; only "cannot reach the API server" and "forbidden to read the configuration" stop it. */
export async function diagnose(kube: Kube, values: Values, now: Date): Promise<Finding[]> {
  const configName = webhookConfigName(values);
  const config = await readConfig(kube, configName);
  const entry = config?.webhooks?.[0];
  if (entry === undefined) {
    const why = config === undefined ? 'not found' : 'has no webhooks';
    return [{ check: 'webhook-config', result: 'fail', message: `MutatingWebhookConfiguration ${configName} ${why}: no pod is sent to the webhook`, hint: 'install the chart (helm install otel-injector charts/otel-injector -n otel-injector --create-namespace) or pass --webhook-config NAME' }];
  }
  const ctx: DoctorContext = { kube, now, timeoutMs: timeoutMs(values), entry, configName, expected: listOption(values, 'namespace') };
  const findings: Finding[] = [checkRules(ctx), checkPolicy(ctx)];
  const { finding: serviceFinding, service } = await readService(ctx);
  findings.push(serviceFinding, await checkEndpoints(ctx, service));
  const ca = await checkCaBundle(ctx, service);
  findings.push(ca);
  findings.push(...(await checkExpected(ctx)));
  const optedIn = (await optedInNamespaces(ctx)).map((ns) => ns.metadata?.name ?? '');
  const probeNamespace = ctx.expected.find((name) => optedIn.includes(name)) ?? optedIn[0];
  const { finding: dryRun, pod } = await checkDryRun(ctx, probeNamespace);
  findings.push(dryRun);
  if (optedIn.length > 0) findings.push(await checkNotSeen(ctx, optedIn));
  findings.push(await checkCollector(ctx, pod, probeNamespace));
  findings.push(...(await checkCollectorCredentials(kube, pod, optedIn, releaseOf(values, ctx), ctx.now, ctx.timeoutMs)));
  const reachable = entry.clientConfig.url !== undefined ? !ca.message.startsWith('cannot connect') : service !== undefined && !findings.some((f) => f.check === 'endpoints' && f.result === 'fail');
  findings.push(await checkMetrics(ctx, reachable));
  return findings;
}

const MARK: Record<Finding['result'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

export function doctorText(findings: readonly Finding[], context: string): string {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines = [`context ${context}`];
  for (const f of findings) {
    lines.push(`${MARK[f.result]}  ${f.check.padEnd(width)}  ${f.message}`);
    if (f.hint !== undefined && f.result !== 'pass') lines.push(`${' '.repeat(width + 8)}fix: ${f.hint}`);
  }
  const failed = findings.filter((f) => f.result === 'fail').length;
  const warned = findings.filter((f) => f.result === 'warn').length;
  lines.push(failed === 0 ? `healthy: ${findings.length} checks, ${warned} warning(s)` : `${failed} check(s) failed, ${warned} warning(s)`);
  return `${lines.join('\n')}\n`;
}

export async function runDoctor(values: Values, io: CliIo): Promise<number> {
  const output = outputOption(values, ['text', 'json'], 'text');
  const kube = connect(values, io);
  const findings = await diagnose(kube, values, io.now());
  io.stdout(output === 'json' ? `${JSON.stringify({ context: kube.context, findings }, null, 2)}\n` : doctorText(findings, kube.context));
  return findings.some((f) => f.result === 'fail') ? EXIT.failed : EXIT.ok;
}
