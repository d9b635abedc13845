// E2E harness: a real etcd + kube-apiserver on loopback (random ports, temp
// dirs, token auth, RBAC), and the webhook from the built project. Everything
// is torn down in t.teardown, also when a test fails.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort, httpsStatus, startProc, waitFor, type Proc } from './procs.js';
import { createCA, issueServingCert, loopbackServingCert, rsaKeyPair, type LeafCert } from './pki.js';
import { KUBERNETES_VERSION, cacheRoot, kubeBinDir } from './versions.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The e2e build cache, outside the clone (test/e2e/versions.ts). */
export const cacheDir = cacheRoot;
/** The binaries of test/e2e/versions.env's KUBERNETES_VERSION. */
export const binDir = kubeBinDir();

/** The subset of tap's Test the harness needs. */
export interface TeardownHost {
  teardown(fn: () => Promise<void> | void): void;
}

export interface ControlPlane {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly kubeConfig: KubeConfig;
  /** kubeconfig file (JSON, which kubectl reads as YAML) for kubectl/helm */
  readonly kubeconfigPath: string;
  readonly dir: string;
  readonly apiserver: Proc;
  readonly etcd: Proc;
}

function requireBinary(name: string, version = KUBERNETES_VERSION): string {
  const path = join(kubeBinDir(version), name);
  if (!existsSync(path)) {
    throw new Error(`${path} missing: run bash test/e2e/build-control-plane.sh ${version} (npm run test:e2e does for ${KUBERNETES_VERSION})`);
  }
  return path;
}

async function startEtcd(dir: string, version: string): Promise<{ proc: Proc; url: string }> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = startProc(
    'etcd',
    requireBinary('etcd', version),
    [
      '--name=e2e',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=e2e=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    { logFile: join(dir, 'etcd.log') },
  );
  await waitFor(
    'etcd /health',
    async () => {
      try {
        const res = await fetch(`${url}/health`);
        return res.ok;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, proc },
  );
  return { proc, url };
}

async function writeApiserverFiles(dir: string, token: string, servingIps: string[]): Promise<LeafCert> {
  const pki = join(dir, 'pki');
  await mkdir(pki, { recursive: true });
  const serving = issueServingCert(createCA('e2e-apiserver-ca'), ['localhost'], ['127.0.0.1', ...servingIps]);
  const sa = rsaKeyPair();
  await writeFile(join(pki, 'apiserver.crt'), serving.certPem);
  await writeFile(join(pki, 'apiserver.key'), serving.keyPem);
  await writeFile(join(pki, 'sa.key'), sa.keyPem);
  await writeFile(join(pki, 'sa.pub'), sa.publicKeyPem);
  await writeFile(join(pki, 'tokens.csv'), `${token},e2e-admin,e2e-admin-uid,"system:masters"\n`);
  return serving;
}

function apiserverArgs(dir: string, port: number, etcdUrl: string, opts: ControlPlaneOptions): string[] {
  const pki = join(dir, 'pki');
  return [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // from 1.37 the endpoint reconciler refuses a loopback address (it would publish it as the `kubernetes`
    // Service's endpoint, which no pod could reach anyway): no reconciler, no endpoints for that Service
    '--endpoint-reconciler-type=none',
    `--secure-port=${port}`,
    `--etcd-servers=${etcdUrl}`,
    `--cert-dir=${pki}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--token-auth-file=${join(pki, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/24',
    // no controller-manager runs, so nothing would create `default` ServiceAccounts
    ...(opts.serviceAccountAdmission === true ? [] : ['--disable-admission-plugins=ServiceAccount']),
    '--allow-privileged=true',
    '--enable-priority-and-fairness=false',
    '--v=1',
  ];
}

export interface ControlPlaneOptions {
  /** appended to the harness' kube-apiserver flags (the node e2e suite's kubelet address types) */
  extraApiserverArgs?: string[];
  /** more IP SANs of the API server's serving certificate (the node suite's `kubernetes` Service IP) */
  servingIps?: string[];
  /** keep the ServiceAccount admission plugin (pods get their token volume; needs a controller-manager) */
  serviceAccountAdmission?: boolean;
  /** the Kubernetes version whose kube-apiserver (and etcd) to run (default: test/e2e/versions.env's
   * KUBERNETES_VERSION); built by `bash test/e2e/build-control-plane.sh <version>` */
  version?: string;
}

export async function startControlPlane(t: TeardownHost, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'otel-e2e-cp-'));
  const procs: Proc[] = [];
  const keep = process.env.E2E_KEEP_TMP === '1';
  // if the process dies before teardown (uncaught error), still remove the temp dir
  if (!keep) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  t.teardown(async () => {
    for (const p of procs.reverse()) await p.stop();
    if (!keep) await rm(dir, { recursive: true, force: true });
  });
  const token = randomBytes(24).toString('hex');
  const serving = await writeApiserverFiles(dir, token, opts.servingIps ?? []);
  const version = opts.version ?? KUBERNETES_VERSION;
  const etcd = await startEtcd(dir, version);
  procs.push(etcd.proc);
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const apiserver = startProc('kube-apiserver', requireBinary('kube-apiserver', version), [...apiserverArgs(dir, port, etcd.url, opts), ...(opts.extraApiserverArgs ?? [])], {
    logFile: join(dir, 'kube-apiserver.log'),
  });
  procs.push(apiserver);
  await waitFor(
    'kube-apiserver /readyz',
    async () => (await httpsStatus({ url: `${server}/readyz`, ca: serving.caPem, token })) === 200,
    { timeoutMs: 90_000, proc: apiserver, intervalMs: 300 },
  );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'e2e', server, caData: Buffer.from(serving.caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'e2e-admin', token }],
    contexts: [{ name: 'e2e', cluster: 'e2e', user: 'e2e-admin' }],
    currentContext: 'e2e',
  });
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeConfig.exportConfig(), { mode: 0o600 });
  return { server, caPem: serving.caPem, token, kubeConfig, kubeconfigPath, dir, apiserver, etcd: etcd.proc };
}

export interface Webhook {
  readonly port: number;
  readonly url: string;
  readonly caPem: string;
  readonly proc: Proc;
  stop(): Promise<void>;
}

export interface WebhookOptions {
  /** extra environment for the webhook (INJECT_*, CERT_MODE, ...) */
  env?: Record<string, string>;
  /** serve with this cert (files mode); default: a fresh loopback CA + cert */
  cert?: LeafCert | null;
  port?: number;
  logName?: string;
}

/** Starts `node dist/main.js` (run `npm run build` first) and waits for /readyz. */
export async function startWebhook(t: TeardownHost, dir: string, opts: WebhookOptions = {}): Promise<Webhook> {
  const main = join(repoRoot, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} missing: run npm run build`);
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_SECONDS: '0',
    ...opts.env,
  };
  const cert = opts.cert === undefined ? loopbackServingCert('e2e-webhook-ca') : opts.cert;
  if (cert !== null) {
    const certDir = await mkdtemp(join(dir, 'webhook-cert-'));
    env.TLS_CERT_FILE = join(certDir, 'tls.crt');
    env.TLS_KEY_FILE = join(certDir, 'tls.key');
    await writeFile(env.TLS_CERT_FILE, cert.certPem);
    await writeFile(env.TLS_KEY_FILE, cert.keyPem);
  }
  const proc = startProc('webhook', process.execPath, [main], {
    env,
    cwd: repoRoot,
    logFile: join(dir, `${opts.logName ?? 'webhook'}-${port}.log`),
  });
  t.teardown(() => proc.stop());
  const url = `https://127.0.0.1:${port}`;
  await waitFor(
    'webhook /readyz',
    async () => (await httpsStatus({ url: `${url}/readyz`, ca: cert?.caPem, insecure: cert === null })) === 200,
    { timeoutMs: 30_000, proc },
  );
  return { port, url, caPem: cert?.caPem ?? '', proc, stop: () => proc.stop() };
}
