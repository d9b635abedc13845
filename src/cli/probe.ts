// The probe pod that doctor and selftest send through the API server as a server-side dry run (nothing is
// stored, its image is never pulled), and the reading of what the webhook made of it.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { RUNTIMES, type Runtime } from '../runtimes/index.js';

export const STATUS_ANNOTATION = 'otel-injector.io/status';

/** A pod that passes Pod Security `restricted`, so the probe works in a restricted namespace too. */
export function probePod(generateName = 'otel-injector-doctor-'): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName, labels: { 'app.kubernetes.io/name': generateName.replace(/-$/, '') } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'probe',
          image: 'registry.invalid/otel-injector/doctor-probe:0',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

/** What came back: the runtimes the webhook says it injected, and what is missing for them. */
export interface Instrumentation {
  readonly status: string | undefined;
  /** The runtimes named by `injected: <runtimes>` (a bare `injected`, from before the Python runtime, is node). */
  readonly runtimes: readonly string[];
  /** One line per thing the pod should have and lacks; empty when the pod came back instrumented. */
  readonly problems: readonly string[];
  /** What was looked at, one line each, for the log of `helm test`. */
  readonly seen: readonly string[];
}

function namedRuntimes(status: string | undefined): string[] | undefined {
  if (status === 'injected') return ['node'];
  if (status?.startsWith('injected: ') !== true) return undefined;
  return status.slice('injected: '.length).split(',').map((name) => name.trim()).filter((name) => name !== '');
}

/** Mount paths, in `container`, of the volumes the init containers fill. */
function payloadMounts(pod: V1Pod, container: V1Container): string[] {
  const filled = new Set((pod.spec?.initContainers ?? []).flatMap((init) => (init.volumeMounts ?? []).map((m) => m.name)));
  return (container.volumeMounts ?? []).filter((m) => filled.has(m.name)).map((m) => m.mountPath);
}

/** The problem with one container's variable for `runtime`, if any; records what it saw. */
function variableProblem(pod: V1Pod, container: V1Container, runtime: Runtime, seen: string[]): string | undefined {
  const value = (container.env ?? []).filter((e) => e.name === runtime.variable).at(-1)?.value;
  seen.push(`${container.name}: ${runtime.variable}=${value ?? '<none>'}`);
  const mounts = payloadMounts(pod, container);
  // prepend (PYTHONPATH): our entry must come first, or another one would be imported before it
  const { separator, placement } = runtime.extension;
  const looked = placement === 'prepend' ? value?.split(separator)[0] : value;
  if (looked !== undefined && mounts.some((path) => looked.includes(`${path}/`))) return undefined;
  const where = placement === 'prepend' ? 'first' : 'from';
  return `container ${container.name}: ${runtime.variable} does not load the payload ${where} the injected volume (${mounts.join(', ') || 'not mounted'})`;
}

function runtimeProblems(pod: V1Pod, runtimes: readonly string[], seen: string[]): string[] {
  const problems: string[] = [];
  for (const name of runtimes) {
    const runtime = RUNTIMES.find((r) => r.name === name);
    if (runtime === undefined) problems.push(`the status names runtime "${name}", which this version of otel-injector does not know`);
    else problems.push(...(pod.spec?.containers ?? []).flatMap((c) => variableProblem(pod, c, runtime, seen) ?? []));
  }
  return problems;
}

function notInjected(status: string | undefined): string {
  return status === undefined
    ? 'no status annotation: the webhook was not called (namespace not opted in, or the webhook unreachable and failing open)'
    : `status is '${status}', expected 'injected: <runtimes>'`;
}

/** Reads the dry-run pod: injected, with an init container, and each named runtime's variable pointing at the payload. */
export function instrumentation(pod: V1Pod): Instrumentation {
  const status = pod.metadata?.annotations?.[STATUS_ANNOTATION];
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const seen = [`${STATUS_ANNOTATION}: ${status ?? '<none>'}`, `init containers: ${inits.join(', ') || '<none>'}`];
  const runtimes = namedRuntimes(status);
  if (runtimes === undefined || runtimes.length === 0) return { status, runtimes: [], problems: [notInjected(status)], seen };
  const problems = inits.length === 0 ? ['no init container was added'] : [];
  problems.push(...runtimeProblems(pod, runtimes, seen));
  return { status, runtimes, problems, seen };
}
