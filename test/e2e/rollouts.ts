// Rollouts of a namespace's workloads as `kubectl rollout status` sees them, watched independently of the
// controller's own rules: which workloads the controller restarted, and how many rolled at the same time.
import { Watch, type KubeConfig } from '@kubernetes/client-node';

const RESTARTED_AT = 'otel-injector.io/restarted-at';

type Obj = { kind?: string; metadata?: { name?: string; generation?: number; annotations?: Record<string, string> }; spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } }; status?: Record<string, unknown> };
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** `kubectl rollout status` done, written here independently of the controller's own rules. */
function rolledOut(kind: string, o: Obj): boolean {
  const s = o.status ?? {};
  if (num(s.observedGeneration) < (o.metadata?.generation ?? 0)) return false;
  const want = o.spec?.replicas ?? 1;
  if (kind === 'Deployment') return num(s.updatedReplicas) === want && num(s.replicas) === want && num(s.availableReplicas) === want;
  if (kind === 'StatefulSet') return s.currentRevision === s.updateRevision && num(s.readyReplicas) === want;
  return num(s.updatedNumberScheduled) === num(s.desiredNumberScheduled) && num(s.numberAvailable) === num(s.desiredNumberScheduled);
}

/** Watches the three workload kinds of a namespace: every restart seen, and how many rolled at once. */
export async function observeRollouts(kubeConfig: KubeConfig, namespace: string): Promise<{ restarts: Map<string, Set<string>>; maxRolling: () => number; stop: () => void }> {
  const restarts = new Map<string, Set<string>>();
  const rolling = new Set<string>();
  let max = 0;
  const watch = new Watch(kubeConfig);
  const requests: Array<{ abort(): void }> = [];
  for (const [kind, plural] of [['Deployment', 'deployments'], ['StatefulSet', 'statefulsets'], ['DaemonSet', 'daemonsets']] as const) {
    requests.push(await watch.watch(`/apis/apps/v1/namespaces/${namespace}/${plural}`, {}, (_type: string, o: Obj) => {
      const key = `${kind}/${o.metadata?.name ?? ''}`;
      const at = o.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
      if (at === undefined) return;
      const seen = restarts.get(key) ?? new Set<string>();
      seen.add(at);
      restarts.set(key, seen);
      if (rolledOut(kind, o)) rolling.delete(key);
      else rolling.add(key);
      max = Math.max(max, rolling.size);
    }, () => undefined));
  }
  return { restarts, maxRolling: () => max, stop: () => { for (const r of requests) r.abort(); } };
}
