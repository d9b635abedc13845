// `selftest`: what `helm test` runs in the webhook's own image. One server-side dry-run pod in an opted-in
// namespace must come back from the API server instrumented: that proves the whole path the cluster uses
// (webhook configuration, Service, endpoints, TLS and caBundle, the webhook's answer). It needs one
// permission only: create pods in that namespace (RBAC cannot tell a dry run from a create).
import type { V1Pod } from '@kubernetes/client-node';
import { outputOption, stringOption, type Values } from './args.js';
import { EXIT, usageError } from './errors.js';
import type { CliIo } from './io.js';
import { call, connect, type Kube } from './kube.js';
import { instrumentation, probePod, type Instrumentation } from './probe.js';

export interface SelftestResult extends Instrumentation {
  readonly namespace: string;
  readonly ok: boolean;
}

/** Sends the probe pod as a dry run; API failures (forbidden, unreachable) are thrown as CliErrors. */
export async function selftest(kube: Kube, namespace: string): Promise<SelftestResult> {
  const pod: V1Pod = await call(kube, { verb: 'create', resource: 'pods', namespace }, () =>
    kube.core.createNamespacedPod({ namespace, body: probePod('otel-injector-selftest-'), dryRun: 'All' }),
  );
  const found = instrumentation(pod);
  return { ...found, namespace, ok: found.problems.length === 0 };
}

export function selftestText(result: SelftestResult): { out: string; err: string } {
  const out = [`server-side dry run of a pod in namespace ${result.namespace}`, ...result.seen];
  if (result.ok) return { out: `${[...out, `PASS: the pod came back instrumented (${result.runtimes.join(',')})`].join('\n')}\n`, err: '' };
  const hint = `(is namespace ${result.namespace} labelled otel-injector.io/inject=enabled, and the webhook ready? otel-injector doctor says more)`;
  return { out: `${out.join('\n')}\n`, err: `${result.problems.map((p) => `FAIL: ${p}`).join('\n')}\n${hint}\n` };
}

export async function runSelftest(values: Values, io: CliIo): Promise<number> {
  const output = outputOption(values, ['text', 'json'], 'text');
  const namespace = stringOption(values, 'namespace');
  if (namespace === undefined || namespace === '') throw usageError('selftest: -n NAMESPACE (an opted-in namespace) is required');
  const result = await selftest(connect(values, io), namespace);
  if (output === 'json') io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const { out, err } = selftestText(result);
    io.stdout(out);
    if (err !== '') io.stderr(err);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
