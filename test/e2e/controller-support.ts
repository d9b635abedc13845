// For the controller's e2e test: kube-controller-manager (built from Go modules by
// test/node-e2e/build-node.sh, E2E_NODE_BINARIES=kube-controller-manager), a Node object and a
// "status writer" standing in for the kubelet (it marks pods Running/Ready, so Deployments, StatefulSets
// and DaemonSets complete their rollouts without containers), and the controller processes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { kubectlBin } from '../support/tools.js';
import { RELEASE_NAMESPACE, parseManifests, renderChart } from './chart.js';
import { binDir, repoRoot, type ControlPlane, type TeardownHost } from './harness.js';
import { freePort, startProc, waitFor, type Proc } from './procs.js';

const run = promisify(execFile);

export async function startControllerManager(t: TeardownHost, cp: ControlPlane): Promise<Proc> {
  const bin = join(binDir, 'kube-controller-manager');
  if (!existsSync(bin)) throw new Error(`${bin} missing: E2E_NODE_BINARIES=kube-controller-manager bash test/node-e2e/build-node.sh (npm run test:e2e does)`);
  const proc = startProc('kube-controller-manager', bin, [
    `--kubeconfig=${cp.kubeconfigPath}`,
    '--leader-elect=false',
    '--secure-port=0',
    // only what makes workloads create and replace pods; no node lifecycle (the Node has no kubelet)
    '--controllers=deployment,replicaset,statefulset,daemonset,job,garbagecollector',
    '--concurrent-deployment-syncs=5',
    '--v=1',
  ], { logFile: join(cp.dir, 'kube-controller-manager.log') });
  t.teardown(() => proc.stop());
  return proc;
}

export const FAKE_NODE = 'e2e-node';
/** Pods with this label are never marked Ready (a rollout that cannot complete). */
export const NEVER_READY = 'e2e.otel-injector.io/never-ready';

/** A Node object (no kubelet behind it) so that DaemonSets have somewhere to run. */
export async function createFakeNode(core: CoreV1Api): Promise<void> {
  await core.createNode({ body: { metadata: { name: FAKE_NODE, labels: { 'kubernetes.io/hostname': FAKE_NODE, 'kubernetes.io/os': 'linux' } } } });
  await core.patchNodeStatus(
    { name: FAKE_NODE, body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'E2E', message: 'status written by the test', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }], allocatable: { cpu: '8', memory: '16Gi', pods: '110' }, capacity: { cpu: '8', memory: '16Gi', pods: '110' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  // The TaintNodesByCondition admission plugin taints a new Node not-ready:NoSchedule; the node lifecycle
  // controller would lift it once the kubelet reports Ready. There is no kubelet: lift it here.
  await core.patchNode({ name: FAKE_NODE, body: { spec: { taints: null } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

function readyStatus(): object {
  const now = new Date().toISOString();
  const cond = (type: string): object => ({ type, status: 'True', lastTransitionTime: now });
  return { status: { phase: 'Running', conditions: [cond('PodScheduled'), cond('Initialized'), cond('ContainersReady'), cond('Ready')], startTime: now } };
}

const isReady = (p: V1Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Stands in for the kubelet: marks every pod of `namespaces` Running and Ready once it is `startMs` old
 * (a start-up time, so that rollouts take a while and overlap). Runs until stopped (teardown) and at
 * most `maxRounds` rounds of `intervalMs`.
 */
export function startStatusWriter(t: TeardownHost, core: CoreV1Api, namespaces: () => readonly string[], startMs = 2000, intervalMs = 300, maxRounds = 4000): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async (): Promise<void> => {
    for (let round = 0; round < maxRounds && !stopped; round++) {
      for (const namespace of namespaces()) {
        const pods = await core.listNamespacedPod({ namespace }).catch(() => ({ items: [] as V1Pod[] }));
        for (const pod of pods.items) {
          if (isReady(pod) || pod.metadata?.deletionTimestamp !== undefined) continue;
          if (Date.now() - new Date(pod.metadata?.creationTimestamp ?? 0).getTime() < startMs) continue;
          if (pod.metadata?.labels?.[NEVER_READY] !== undefined) continue; // a pod that never starts
          await core.patchNamespacedPodStatus({ name: pod.metadata?.name ?? '', namespace, body: readyStatus() }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)).catch(() => undefined);
        }
      }
      await sleep(intervalMs);
    }
  })();
  const stop = async (): Promise<void> => {
    stopped = true;
    await loop;
  };
  t.teardown(stop);
  return { stop };
}

export interface ControllerProc {
  readonly proc: Proc;
  readonly port: number;
  readonly identity: string;
  get(path: string): Promise<{ status: number; body: string }>;
}

export function httpGetText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    httpGet(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });
}

/** `node dist/main.js controller` with the given env, as `identity`; waits for /readyz. */
export async function startController(t: TeardownHost, cp: ControlPlane, identity: string, env: Record<string, string>, kubeconfigPath = cp.kubeconfigPath): Promise<ControllerProc> {
  const port = await freePort();
  const proc = startProc('controller', process.execPath, [join(repoRoot, 'dist', 'main.js'), 'controller'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: kubeconfigPath, HOST: '127.0.0.1', PORT: String(port), POD_NAME: identity, POD_NAMESPACE: 'otel-injector', LOG_LEVEL: 'info', ...env },
    cwd: repoRoot,
    logFile: join(cp.dir, `controller-${identity}.log`),
  });
  t.teardown(() => proc.stop());
  const get = (path: string): Promise<{ status: number; body: string }> => httpGetText(`http://127.0.0.1:${port}${path}`);
  await waitFor(`controller ${identity} /readyz`, async () => (await get('/readyz')).status === 200, { timeoutMs: 30_000, proc });
  return { proc, port, identity, get };
}

/** Parsed JSON log lines of a process. */
export function logLines(proc: Proc): Array<Record<string, unknown>> {
  return proc.tail(100000).split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/**
 * A kubeconfig for the chart's controller ServiceAccount, with exactly the RBAC the chart renders for
 * controller.mode=restart, or `values` (applied with kubectl): the controller under test can do no more than in a cluster.
 */
export async function chartControllerKubeconfig(cp: ControlPlane, values: string[] = ['controller.mode=restart']): Promise<string> {
  const manifests = parseManifests(await renderChart(values));
  const kinds = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
  const rbac = manifests.filter((m) => kinds.has(m.kind) && m.metadata.name.endsWith('-controller'));
  const account = rbac.find((m) => m.kind === 'ServiceAccount');
  if (account === undefined || rbac.length < 5) throw new Error(`chart rendered ${rbac.length} controller RBAC objects, expected the ServiceAccount, 2 roles and 2 bindings`);
  const file = join(cp.dir, 'controller-rbac.yaml');
  await writeFile(file, rbac.map((m) => JSON.stringify(m)).join('\n---\n'));
  await run(await kubectlBin(), ['--kubeconfig', cp.kubeconfigPath, 'apply', '-f', file]);
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const namespace = account.metadata.namespace ?? RELEASE_NAMESPACE;
  const request = await core.createNamespacedServiceAccountToken({ name: account.metadata.name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server: cp.server, caData: Buffer.from(cp.caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'controller', token: request.status?.token ?? '' }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user: 'controller', namespace }],
    currentContext: 'e2e',
  });
  const path = join(cp.dir, 'controller-kubeconfig');
  await writeFile(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}
