// The configuration files of the suite's real node (test/node-e2e/node.ts): containerd's, the CNI bridge's
// and the kubelet's, and the pods' network they share.
import { join } from 'node:path';
import { PAUSE_IMAGE } from './images.js';

export const BRIDGE = 'otelnode0';
/** The pods' network: created by the suite; the host end (.1) is where test servers listen for pods. */
export const POD_SUBNET = { prefix: '10.213.47', bits: 24 };
export const HOST_IP = `${POD_SUBNET.prefix}.1`;

export function containerdConfig(dir: string, sock: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/containerd/opt"
[${cri}]
  sandbox_image = "${PAUSE_IMAGE}"
  # root here may not lower OOM scores: without this every sandbox fails in runc
  restrict_oom_score_adj = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "${dir}/runc"
        SystemdCgroup = false
  [${cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni/net.d"
`;
}

export function cniConfig(dir: string): string {
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
