// What helm.test.ts needs beyond the other node files: the webhook image (the Dockerfile's `webhook` target,
// cached like the others), the node options that let the chart's own path run (the API server calls webhook
// Services by their endpoints; the `kubernetes` Service reachable from pods), and a real `helm`.
//
// The `kubernetes` Service without kube-proxy: the API server's service range is SERVICE_CIDR, so the Service
// gets KUBERNETES_SERVICE_IP, which the kubelet hands every pod as KUBERNETES_SERVICE_HOST (port 443). The
// pods route SERVICE_CIDR to the host end of their bridge (CNI `routes`, still no default route), the host
// carries that one address on the bridge, and a TCP relay in the test process forwards it to the API server on
// loopback; the API server's certificate names the address. In-cluster clients (the chart's controller, its
// `helm test` pod) then work unchanged, with their ServiceAccount tokens (ServiceAccount admission kept on).
// Only that one Service is routed: nothing else of ClusterIPs (kube-proxy's job) is needed here.
import { execFile } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { build, makeBases, sh } from '../images/buildah.js';
import { repoRoot, type ControlPlane, type TeardownHost } from '../e2e/harness.js';
import { helmBin } from '../support/tools.js';
import { archive, type BuiltImage } from './images.js';
import { BRIDGE } from './node-config.js';
import type { NodeOptions } from './node.js';

const run = promisify(execFile);

export const WEBHOOK_REPOSITORY = 'localhost/otel-injector-node-e2e/webhook';
export const WEBHOOK_IMAGE = `${WEBHOOK_REPOSITORY}:dev`;
/** next to the pods' 10.213.47.0/24; its first address is the `kubernetes` Service's */
export const SERVICE_CIDR = '10.213.46.0/24';
export const KUBERNETES_SERVICE_IP = '10.213.46.1';

/** The webhook image, built like test/images builds it (buildah, local stand-in bases), archived in the cache. */
export async function buildWebhookImage(): Promise<BuiltImage> {
  const bases = await makeBases(repoRoot, 'localhost/otel-injector-test');
  const r = await build(repoRoot, 'webhook', WEBHOOK_IMAGE, bases);
  if (r.code !== 0) throw new Error(`buildah bud --target webhook failed: ${r.stderr.slice(-3000)}`);
  return archive(WEBHOOK_IMAGE);
}

export const chartNodeOptions: NodeOptions = {
  controlPlane: {
    // a webhook Service is called at its endpoints (EndpointSlices), not at its ClusterIP; the range given after
    // the harness' own --service-cluster-ip-range wins (a string flag: the last one counts)
    extraApiserverArgs: ['--enable-aggregator-routing=true', `--service-cluster-ip-range=${SERVICE_CIDR}`],
    servingIps: [KUBERNETES_SERVICE_IP],
    serviceAccountAdmission: true,
  },
  podRoutes: [SERVICE_CIDR],
};

/** The addresses of the clients the relay served (pods' IPs), in order of first connection. */
export interface Relay {
  clients(): string[];
}

/** KUBERNETES_SERVICE_IP:443 on the bridge, relayed to the API server on loopback; closed in teardown. */
export async function routeKubernetesService(t: TeardownHost, cp: ControlPlane): Promise<Relay> {
  const r = await sh('ip', ['addr', 'add', `${KUBERNETES_SERVICE_IP}/32`, 'dev', BRIDGE]);
  if (r.code !== 0) throw new Error(`ip addr add ${KUBERNETES_SERVICE_IP}/32 dev ${BRIDGE}: ${r.stderr}`); // removed with the bridge
  const port = Number(new URL(cp.server).port);
  const open = new Set<Socket>();
  const clients = new Set<string>();
  const server: Server = createServer((client) => {
    clients.add(client.remoteAddress ?? '');
    const upstream = connect(port, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      open.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        open.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(443, KUBERNETES_SERVICE_IP, resolve);
  });
  t.teardown(async () => {
    for (const s of open) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { clients: () => [...clients] };
}

/** `helm <args>` (Helm 3, as the README) against the node's API server; stdout, or throws with stderr. */
export async function helm(cp: ControlPlane, args: string[], timeoutMs = 300_000): Promise<string> {
  const bin = await helmBin(3);
  const env = { ...process.env, KUBECONFIG: cp.kubeconfigPath, HELM_CACHE_HOME: join(repoRoot, '.cache', 'helm'), HELM_CONFIG_HOME: join(cp.dir, 'helm-config'), HELM_DATA_HOME: join(cp.dir, 'helm-data') };
  try {
    const { stdout } = await run(bin, args, { cwd: repoRoot, env, timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}
