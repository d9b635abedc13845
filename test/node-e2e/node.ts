// A real node for the e2e suite: containerd 2.x + runc (built by build-runtime.sh; never the host's own
// containerd, which may be running), Debian's CNI plugins, a CNI bridge the suite creates, the kubelet,
// kube-controller-manager and kube-scheduler (built by build-node.sh) next to the harness' etcd + kube-apiserver. Everything the bring-up changes on the host is written to a state file
// first; test/node-e2e/teardown.sh undoes exactly that, from t.teardown, from a watchdog when this
// process dies without teardown, and at the start of the next run.
// The configuration files it writes (containerd, CNI, kubelet) come from node-config.ts.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { binDir, repoRoot, startControlPlane, type ControlPlane, type ControlPlaneOptions, type TeardownHost } from '../e2e/harness.js';
import { containerdBinDir, runcBinDir } from '../e2e/versions.js';
import { freePort, startProc, waitFor, type Proc } from '../e2e/procs.js';
import { sh } from '../images/buildah.js';
import { type BuiltImage } from './images.js';
import { BRIDGE, HOST_IP, POD_SUBNET, cniConfig, containerdConfig, kubeletConfig } from './node-config.js';

/** Fixed, so that a later run finds what a killed one left. */
export const STATE_BASE = process.env.NODE_E2E_STATE_DIR ?? '/var/lib/otel-injector-node-e2e';
const STATE_FILE = join(STATE_BASE, 'state');
const TEARDOWN = join(repoRoot, 'test/node-e2e/teardown.sh');
export const NODE_NAME = 'localhost';
const SYSCTLS = [
  'kernel.panic',
  'kernel.panic_on_oops',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward',
];
const CGROUP_ROOT = 'kubepods';
/** Host paths the kubelet, containerd or the CNI plugins create when missing. */
const HOST_PATHS = ['/run/containerd', '/opt/containerd', '/var/log/containers', '/var/log/pods', '/run/netns', '/var/run/netns', '/var/lib/cni', '/var/lib/kubelet', '/usr/libexec/kubernetes', '/run/runc', '/run/nri', '/etc/cdi', '/run/cdi'];
const CONTAINERD = join(containerdBinDir, 'containerd');
/** containerd's own client, of the same release (node.test.ts and exits.ts use it too) */
export const CTR = join(containerdBinDir, 'ctr');
const RUNC = join(runcBinDir, 'runc');

export interface Node {
  readonly cp: ControlPlane;
  readonly dir: string;
  readonly containerdSock: string;
  /** containerd's client for that socket (CTR) */
  readonly ctr: string;
  readonly kubelet: Proc;
  /** The host's state as it was before the bring-up (what teardown must restore). */
  readonly before: HostSnapshot;
  /** Runs teardown.sh now (idempotent); the suite's last test checks the host afterwards. */
  teardown(): Promise<void>;
}

export interface NodeOptions {
  /** for the harness' kube-apiserver (its args after the node's own) */
  controlPlane?: ControlPlaneOptions;
  /** more destinations routed from the pods to the host end of the bridge (cniConfig) */
  podRoutes?: string[];
}

export interface HostSnapshot {
  sysctls: Record<string, string>;
  paths: Record<string, boolean>;
  cgroups: string[];
  links: string[];
  netns: string[];
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

async function sysctl(key: string): Promise<string | null> {
  const r = await sh('sysctl', ['-n', key]);
  return r.code === 0 ? r.stdout.trim() : null;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export async function hostSnapshot(): Promise<HostSnapshot> {
  const sysctls: Record<string, string> = {};
  for (const k of SYSCTLS) {
    const v = await sysctl(k);
    if (v !== null) sysctls[k] = v;
  }
  const paths: Record<string, boolean> = {};
  for (const p of HOST_PATHS) paths[p] = existsSync(p);
  const cgroups = listDir('/sys/fs/cgroup').filter((c) => existsSync(join('/sys/fs/cgroup', c, CGROUP_ROOT)));
  const links = (await must('ip', ['-o', 'link', 'show'])).split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter((l) => l !== '').sort();
  return { sysctls, paths, cgroups, links, netns: listDir('/run/netns') };
}

/** Debian's CNI plugins, installed from the suite when missing; containerd and runc come from build-runtime.sh. */
export async function ensurePackages(): Promise<void> {
  const built = [CONTAINERD, CTR, join(containerdBinDir, 'containerd-shim-runc-v2'), RUNC].filter((b) => !existsSync(b));
  if (built.length > 0) throw new Error(`${built.join(', ')} missing: run bash test/node-e2e/build-runtime.sh (npm run test:node-e2e does)`);
  if (existsSync('/usr/lib/cni/bridge') && existsSync('/usr/lib/cni/host-local')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await sh('apt-get', ['update', '-q', '-o', 'DPkg::Lock::Timeout=600'], env);
  const r = await sh('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', 'containernetworking-plugins'], env);
  if (r.code !== 0) throw new Error(`apt-get install containernetworking-plugins: ${r.stderr.slice(-2000)}`);
}

class StateFile {
  constructor(readonly path: string) {}
  async add(key: string, value: string): Promise<void> {
    await appendFile(this.path, `${key} ${value}\n`);
  }
}

async function runTeardown(runId?: string): Promise<void> {
  const r = await sh('bash', [TEARDOWN, STATE_FILE, ...(runId === undefined ? [] : [runId])]);
  if (r.code !== 0) throw new Error(`teardown.sh exited ${r.code}: ${r.stderr}`);
}

/** A detached shell that runs teardown.sh for this run once this process is gone, however it died. */
function startWatchdog(runId: string): void {
  const script = 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; exec bash "$1" "$2" "$3"';
  const child = spawn('/bin/sh', ['-c', script, String(process.pid), TEARDOWN, STATE_FILE, runId], { detached: true, stdio: 'ignore' });
  child.unref();
}

async function prepareHost(state: StateFile, dir: string, before: HostSnapshot, podRoutes: string[]): Promise<void> {
  for (const [k, v] of Object.entries(before.sysctls)) await state.add('SYSCTL', `${k} ${v}`);
  for (const [p, existed] of Object.entries(before.paths)) if (!existed) await state.add('NEWPATH', p);
  await state.add('NETNS_BEFORE', before.netns.join(' '));
  for (const c of listDir('/sys/fs/cgroup')) {
    if (before.cgroups.includes(c)) throw new Error(`/sys/fs/cgroup/${c}/${CGROUP_ROOT} exists: another kubelet runs here?`);
  }
  await state.add('CGROUP', CGROUP_ROOT);
  await state.add('LOGLINKS', join(dir, 'pod-logs'));
  if (before.links.includes(BRIDGE)) throw new Error(`interface ${BRIDGE} exists: another node e2e run?`);
  await state.add('LINK', BRIDGE);
  await must('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await must('ip', ['addr', 'add', `${HOST_IP}/${POD_SUBNET.bits}`, 'dev', BRIDGE]);
  await must('ip', ['link', 'set', BRIDGE, 'up']);
  await mkdir(join(dir, 'cni/net.d'), { recursive: true });
  await writeFile(join(dir, 'cni/net.d/10-otel-node-e2e.conflist'), cniConfig(dir, podRoutes));
}

async function startContainerd(state: StateFile, dir: string, images: BuiltImage[]): Promise<{ proc: Proc; sock: string }> {
  const sock = join(dir, 'containerd/containerd.sock');
  await mkdir(join(dir, 'containerd'), { recursive: true });
  await writeFile(join(dir, 'containerd/config.toml'), containerdConfig(dir, sock, RUNC));
  await state.add('CONTAINERD_SOCK', sock);
  // the shim is found next to containerd; PATH too, so that no host containerd-shim-runc-v2 is ever taken
  const env = { ...process.env, PATH: `${containerdBinDir}:${process.env.PATH ?? ''}` };
  const proc = startProc('containerd', CONTAINERD, ['--config', join(dir, 'containerd/config.toml')], { logFile: join(dir, 'containerd.log'), env });
  if (proc.child.pid !== undefined) await state.add('PROC', String(proc.child.pid));
  await waitFor('containerd', async () => (await sh(CTR, ['--address', sock, 'version'])).code === 0, { timeoutMs: 30_000, proc });
  for (const img of images) await must(CTR, ['--address', sock, '-n', 'k8s.io', 'images', 'import', img.archive]);
  return { proc, sock };
}

async function nodeReady(core: CoreV1Api): Promise<boolean> {
  try {
    const node: V1Node = await core.readNode({ name: NODE_NAME });
    return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  } catch {
    return false;
  }
}

export async function startNode(t: TeardownHost, images: BuiltImage[], opts: NodeOptions = {}): Promise<Node> {
  // never a skip: a machine that cannot run the node fails the suite with this one line (also preflight.sh)
  if (process.getuid?.() !== 0) throw new Error('node-e2e: needs root (containerd, runc, a kubelet, a bridge, cgroups); run as root');
  await ensurePackages();
  await runTeardown(); // what a killed run left
  const before = await hostSnapshot();
  const runId = randomBytes(8).toString('hex');
  const dir = join(STATE_BASE, `run-${runId}`);
  await mkdir(dir, { recursive: true });
  await writeFile(STATE_FILE, `RUN_ID ${runId}\nRUN_DIR ${dir}\n`);
  const state = new StateFile(STATE_FILE);
  startWatchdog(runId);
  const procs: Proc[] = [];
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    for (const p of procs.reverse()) await p.stop(3000);
    await runTeardown(runId);
  };
  t.teardown(teardown);
  await prepareHost(state, dir, before, opts.podRoutes ?? []);
  const containerd = await startContainerd(state, dir, images);
  procs.push(containerd.proc);

  const extra = opts.controlPlane?.extraApiserverArgs ?? [];
  const cp = await startControlPlane(t, { ...opts.controlPlane, extraApiserverArgs: ['--kubelet-preferred-address-types=Hostname', ...extra] });
  const common = ['--kubeconfig', cp.kubeconfigPath, '--leader-elect=false', '--v=1'];
  const start = async (name: string, args: string[]): Promise<Proc> => {
    const p = startProc(name, join(binDir, name), args, { logFile: join(dir, `${name}.log`) });
    if (p.child.pid !== undefined) await state.add('PROC', String(p.child.pid));
    procs.push(p);
    return p;
  };
  await start('kube-controller-manager', [...common, '--secure-port=0', '--cluster-name=otel-node-e2e']);
  await start('kube-scheduler', [...common, '--secure-port=0']);
  const [port, healthz] = [await freePort(), await freePort()];
  await writeFile(join(dir, 'kubelet.json'), kubeletConfig(dir, containerd.sock, port, healthz));
  const kubelet = await start('kubelet', [
    `--config=${join(dir, 'kubelet.json')}`,
    `--kubeconfig=${cp.kubeconfigPath}`,
    `--hostname-override=${NODE_NAME}`,
    `--root-dir=${join(dir, 'kubelet')}`,
    `--cert-dir=${join(dir, 'kubelet/pki')}`,
    '--v=2', // "Killing container with a grace period" (when the kubelet sent SIGTERM) is a V(2) line
  ]);
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await waitFor('node Ready', () => nodeReady(core), { timeoutMs: 120_000, proc: kubelet, intervalMs: 500 });
  return { cp, dir, containerdSock: containerd.sock, ctr: CTR, kubelet, before, teardown };
}

/** Lines of a log file of the run (for messages). */
export async function tailFile(path: string, lines = 40): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function settle(ms: number): Promise<void> {
  await sleep(ms);
}
