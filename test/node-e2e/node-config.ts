// The configuration files of the suite's real node (test/node-e2e/node.ts): containerd's, the CNI bridge's
// and the kubelet's, and the pods' network they share.
import { join } from 'node:path';
import { PAUSE_IMAGE } from './images.js';

export const BRIDGE = 'otelnode0';
/** The pods' network: created by the suite; the host end (.1) is where test servers listen for pods. */
export const POD_SUBNET = { prefix: '10.213.47', bits: 24 };
export const HOST_IP = `${POD_SUBNET.prefix}.1`;

/** containerd 2.x (test/node-e2e/build-runtime.sh), configuration version 3 (2.3 migrates it to its version 4
 * in memory): its own root, state, sockets and runc root under the run dir; NRI (a socket in /var/run/nri) off.
 * CDI stays on (`enable_cdi` is deprecated): it only reads /etc/cdi and /var/run/cdi, creating neither. */
export function containerdConfig(dir: string, sock: string, runc: string): string {
  const runtime = "plugins.'io.containerd.cri.v1.runtime'";
  const images = "plugins.'io.containerd.cri.v1.images'";
  return `version = 3
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[debug]
  level = "warn"
[plugins.'io.containerd.internal.v1.opt']
  path = "${dir}/containerd/opt"
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[${images}]
  snapshotter = "overlayfs"
  [${images}.pinned_images]
    sandbox = "${PAUSE_IMAGE}"
[${runtime}]
  # root here may not lower OOM scores: without this every sandbox fails in runc
  restrict_oom_score_adj = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  [${runtime}.containerd]
    default_runtime_name = "runc"
    [${runtime}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${runtime}.containerd.runtimes.runc.options]
        BinaryName = "${runc}"
        Root = "${dir}/runc"
        SystemdCgroup = false
  [${runtime}.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "${dir}/cni/net.d"
`;
}

/** `routes`: more destinations the pods reach through the host end of the bridge (no default route). */
export function cniConfig(dir: string, routes: string[] = []): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'otel-node-e2e',
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: join(dir, 'cni/ipam'),
          ranges: [[{ subnet: `${POD_SUBNET.prefix}.0/${POD_SUBNET.bits}`, rangeStart: `${POD_SUBNET.prefix}.10`, rangeEnd: `${POD_SUBNET.prefix}.250` }]],
          ...(routes.length > 0 ? { routes: routes.map((dst) => ({ dst, gw: HOST_IP })) } : {}),
        },
      },
      { type: 'loopback' },
    ],
  });
}

export function kubeletConfig(dir: string, sock: string, port: number, healthz: number): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: '127.0.0.1',
    port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: healthz,
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false }, x509: {} },
    authorization: { mode: 'AlwaysAllow' },
    containerRuntimeEndpoint: `unix://${sock}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: '/',
    failCgroupV1: false,
    failSwapOn: false,
    makeIPTablesUtilChains: false,
    oomScoreAdj: 0,
    podLogsDir: join(dir, 'pod-logs'),
    volumePluginDir: join(dir, 'volume-plugins'),
    resolvConf: '',
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    syncFrequency: '5s',
    fileCheckFrequency: '5s',
    nodeStatusUpdateFrequency: '2s',
    serializeImagePulls: false,
    registerNode: true,
    maxPods: 40,
  });
}
