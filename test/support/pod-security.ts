// Pod Security Standards, level `restricted`, version `latest`
// (k8s.io/pod-security-admission/policy check_*.go): every baseline check plus
// the restricted ones. Each violation is one string naming the check and where.
import { allContainers, isObj, obj, objList, str, type ContainerRef, type Obj } from './k8s-shapes.js';

// `image` (Kubernetes image volumes): allowed by restricted (check_restrictedVolumes.go, `volume.Image != nil`).
const RESTRICTED_VOLUMES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const SECCOMP_OK = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_OK = new Set(['RuntimeDefault', 'Localhost']);

interface Ctx {
  readonly meta: Obj;
  readonly spec: Obj;
  readonly psc: Obj;
  readonly containers: ContainerRef[];
  readonly windows: boolean;
}

const label = (c: ContainerRef): string => `container "${str(c.container.name)}" (${c.path})`;
const csc = (c: ContainerRef): Obj => obj(c.container.securityContext);

function hostNamespaces(x: Ctx): string[] {
  return ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => x.spec[k] === true).map((k) => `host namespaces: ${k}=true`);
}

function privileged(x: Ctx): string[] {
  return x.containers.filter((c) => csc(c).privileged === true).map((c) => `privileged: ${label(c)} must not set securityContext.privileged=true`);
}

function hostProcess(x: Ctx): string[] {
  const out: string[] = [];
  if (obj(x.psc.windowsOptions).hostProcess === true) out.push('hostProcess: pod must not set securityContext.windowsOptions.hostProcess=true');
  for (const c of x.containers) if (obj(csc(c).windowsOptions).hostProcess === true) out.push(`hostProcess: ${label(c)} must not set windowsOptions.hostProcess=true`);
  return out;
}

function hostPorts(x: Ctx): string[] {
  const out: string[] = [];
  for (const c of x.containers) {
    for (const port of objList(c.container.ports, 'ports')) {
      if (typeof port.hostPort === 'number' && port.hostPort !== 0) out.push(`hostPort: ${label(c)} uses hostPort ${port.hostPort}`);
    }
  }
  return out;
}

function volumes(x: Ctx): string[] {
  const out: string[] = [];
  for (const vol of objList(x.spec.volumes, 'volumes')) {
    const types = Object.keys(vol).filter((k) => k !== 'name' && vol[k] !== undefined && vol[k] !== null);
    for (const t of types) {
      if (t === 'hostPath') out.push(`hostPath volumes: volume "${str(vol.name)}" uses hostPath`);
      else if (!RESTRICTED_VOLUMES.has(t)) out.push(`restricted volume types: volume "${str(vol.name)}" uses ${t}`);
    }
  }
  return out;
}

function procMountAndSelinux(x: Ctx): string[] {
  const out: string[] = [];
  const selinux = (opts: unknown, where: string): void => {
    if (!isObj(opts)) return;
    if (!SELINUX_TYPES.has(str(opts.type))) out.push(`seLinuxOptions: ${where} uses type "${str(opts.type)}"`);
    if (str(opts.user) !== '' || str(opts.role) !== '') out.push(`seLinuxOptions: ${where} must not set user or role`);
  };
  selinux(x.psc.seLinuxOptions, 'pod');
  for (const c of x.containers) {
    const pm = csc(c).procMount;
    if (pm !== undefined && pm !== null && pm !== 'Default') out.push(`procMount: ${label(c)} must not set procMount=${String(pm)}`);
    selinux(csc(c).seLinuxOptions, label(c));
  }
  return out;
}

function sysctls(x: Ctx): string[] {
  return objList(x.psc.sysctls, 'sysctls').map((s) => str(s.name).replace(/\//g, '.'))
    .filter((n) => !SAFE_SYSCTLS.has(n)).map((n) => `sysctls: forbidden sysctl ${n}`);
}

function appArmor(x: Ctx): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj(x.meta.annotations))) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !str(v).startsWith('localhost/')) {
      out.push(`appArmorProfile: annotation ${k}=${String(v)}`);
    }
  }
  const check = (p: unknown, where: string): void => {
    if (isObj(p) && !APPARMOR_OK.has(str(p.type))) out.push(`appArmorProfile: ${where} uses type "${str(p.type)}"`);
  };
  check(x.psc.appArmorProfile, 'pod');
  for (const c of x.containers) check(csc(c).appArmorProfile, label(c));
  return out;
}

function seccomp(x: Ctx): string[] {
  const out: string[] = [];
  const podType = obj(x.psc.seccompProfile).type;
  if (podType !== undefined && !SECCOMP_OK.has(str(podType))) out.push(`seccompProfile: pod uses type "${String(podType)}"`);
  const podOk = SECCOMP_OK.has(str(podType));
  for (const c of x.containers) {
    const t = obj(csc(c).seccompProfile).type;
    if (t !== undefined && !SECCOMP_OK.has(str(t))) out.push(`seccompProfile: ${label(c)} uses type "${String(t)}"`);
    else if (t === undefined && !podOk && !x.windows) out.push(`seccompProfile: pod or ${label(c)} must set seccompProfile.type to RuntimeDefault or Localhost`);
  }
  return out;
}

function runAsNonRoot(x: Ctx): string[] {
  const out: string[] = [];
  if (x.psc.runAsNonRoot === false) out.push('runAsNonRoot: pod must not set runAsNonRoot=false');
  if (x.psc.runAsUser === 0) out.push('runAsUser: pod must not set runAsUser=0');
  for (const c of x.containers) {
    const sc = csc(c);
    if (sc.runAsNonRoot === false) out.push(`runAsNonRoot: ${label(c)} must not set runAsNonRoot=false`);
    else if (sc.runAsNonRoot !== true && x.psc.runAsNonRoot !== true) out.push(`runAsNonRoot: pod or ${label(c)} must set runAsNonRoot=true`);
    if (sc.runAsUser === 0) out.push(`runAsUser: ${label(c)} must not set runAsUser=0`);
  }
  return out;
}

function escalationAndCapabilities(x: Ctx): string[] {
  if (x.windows) return [];
  const out: string[] = [];
  for (const c of x.containers) {
    const sc = csc(c);
    if (sc.allowPrivilegeEscalation !== false) out.push(`allowPrivilegeEscalation != false: ${label(c)} must set allowPrivilegeEscalation=false`);
    const caps = obj(sc.capabilities);
    const drop = Array.isArray(caps.drop) ? caps.drop : [];
    if (!drop.includes('ALL')) out.push(`unrestricted capabilities: ${label(c)} must set capabilities.drop=["ALL"]`);
    const add = Array.isArray(caps.add) ? caps.add : [];
    for (const cap of add) if (cap !== 'NET_BIND_SERVICE') out.push(`unrestricted capabilities: ${label(c)} must not add ${String(cap)}`);
  }
  return out;
}

const CHECKS: ((x: Ctx) => string[])[] = [
  hostProcess, hostNamespaces, privileged, hostPorts, volumes, procMountAndSelinux, sysctls, appArmor,
  seccomp, runAsNonRoot, escalationAndCapabilities,
];

/** Violations of Pod Security `restricted:latest` (empty: the pod would be admitted). */
export function restrictedViolations(pod: unknown): string[] {
  const p = obj(pod);
  const spec = obj(p.spec);
  const x: Ctx = {
    meta: obj(p.metadata),
    spec,
    psc: obj(spec.securityContext),
    containers: allContainers(spec),
    windows: obj(spec.os).name === 'windows',
  };
  return CHECKS.flatMap((check) => check(x));
}
