import t from 'tap';
import { restrictedViolations } from './pod-judge.js';

type Pod = Record<string, any>;

function restrictedPod(): Pod {
  const ctrSc = () => ({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  return {
    metadata: { generateName: 'api-', annotations: {} },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [
        { name: 'otel', emptyDir: { sizeLimit: '64Mi' } }, { name: 'cfg', configMap: { name: 'c' } },
        { name: 's', secret: { secretName: 's' } }, { name: 'p', projected: { sources: [] } },
        { name: 'd', downwardAPI: { items: [] } }, { name: 'v', persistentVolumeClaim: { claimName: 'v' } },
        { name: 'c', csi: { driver: 'x' } }, { name: 'e', ephemeral: { volumeClaimTemplate: {} } },
      ],
      initContainers: [{ name: 'otel-injector', image: 'i', securityContext: { ...ctrSc(), runAsUser: 65532 } }],
      containers: [{ name: 'api', image: 'node', securityContext: { ...ctrSc(), capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
    },
  };
}

function violationsAfter(mutate: (p: Pod) => void): string[] {
  const pod = restrictedPod();
  mutate(pod);
  return restrictedViolations(pod);
}

t.test('a restricted pod has no violations', async (t) => {
  t.same(restrictedViolations(restrictedPod()), []);
});

t.test('container-level settings satisfy the pod-level rules too', async (t) => {
  t.same(violationsAfter((p) => {
    delete p.spec.securityContext;
    for (const c of [...p.spec.initContainers, ...p.spec.containers]) {
      Object.assign(c.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'x.json' } });
    }
  }), []);
});

const cases: [string, (p: Pod) => void, RegExp][] = [
  ['no runAsNonRoot anywhere', (p) => { delete p.spec.securityContext.runAsNonRoot; }, /runAsNonRoot: pod or container "otel-injector"/],
  ['container runAsNonRoot false overrides pod', (p) => { p.spec.containers[0].securityContext.runAsNonRoot = false; }, /runAsNonRoot: container "api" .*must not set runAsNonRoot=false/],
  ['pod runAsUser 0', (p) => { p.spec.securityContext.runAsUser = 0; }, /runAsUser: pod must not set runAsUser=0/],
  ['init container runAsUser 0', (p) => { p.spec.initContainers[0].securityContext.runAsUser = 0; }, /runAsUser: container "otel-injector"/],
  ['init container without allowPrivilegeEscalation=false', (p) => { delete p.spec.initContainers[0].securityContext.allowPrivilegeEscalation; }, /allowPrivilegeEscalation != false: container "otel-injector"/],
  ['no securityContext on an added container', (p) => { p.spec.initContainers.push({ name: 'x', image: 'x' }); }, /allowPrivilegeEscalation != false: container "x"/],
  ['capabilities not dropping ALL', (p) => { p.spec.containers[0].securityContext.capabilities.drop = ['NET_RAW']; }, /unrestricted capabilities: container "api" .*drop/],
  ['capabilities adding SYS_ADMIN', (p) => { p.spec.containers[0].securityContext.capabilities.add = ['SYS_ADMIN']; }, /must not add SYS_ADMIN/],
  ['no seccomp anywhere', (p) => { delete p.spec.securityContext.seccompProfile; }, /seccompProfile: pod or container "api"/],
  ['container seccomp Unconfined', (p) => { p.spec.initContainers[0].securityContext.seccompProfile = { type: 'Unconfined' }; }, /seccompProfile: container "otel-injector" .*Unconfined/],
  ['pod seccomp Unconfined', (p) => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }, /seccompProfile: pod uses type "Unconfined"/],
  ['hostPath volume', (p) => { p.spec.volumes.push({ name: 'h', hostPath: { path: '/' } }); }, /hostPath volumes: volume "h"/],
  ['nfs volume', (p) => { p.spec.volumes.push({ name: 'n', nfs: { server: 'x', path: '/' } }); }, /restricted volume types: volume "n" uses nfs/],
  ['hostNetwork', (p) => { p.spec.hostNetwork = true; }, /host namespaces: hostNetwork=true/],
  ['hostPID', (p) => { p.spec.hostPID = true; }, /hostPID=true/],
  ['hostIPC', (p) => { p.spec.hostIPC = true; }, /hostIPC=true/],
  ['privileged', (p) => { p.spec.containers[0].securityContext.privileged = true; }, /privileged: container "api"/],
  ['hostPort', (p) => { p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80 }]; }, /hostPort: container "api" .* uses hostPort 80/],
  ['procMount Unmasked', (p) => { p.spec.containers[0].securityContext.procMount = 'Unmasked'; }, /procMount: container "api"/],
  ['unsafe sysctl', (p) => { p.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]; }, /sysctls: forbidden sysctl kernel.msgmax/],
  ['AppArmor annotation unconfined', (p) => { p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/api'] = 'unconfined'; }, /appArmorProfile: annotation/],
  ['AppArmor field Unconfined', (p) => { p.spec.initContainers[0].securityContext.appArmorProfile = { type: 'Unconfined' }; }, /appArmorProfile: container "otel-injector"/],
  ['SELinux type spc_t', (p) => { p.spec.securityContext.seLinuxOptions = { type: 'spc_t' }; }, /seLinuxOptions: pod uses type "spc_t"/],
  ['SELinux user set', (p) => { p.spec.containers[0].securityContext.seLinuxOptions = { user: 'system_u' }; }, /seLinuxOptions: container "api" .* must not set user or role/],
  ['Windows hostProcess', (p) => { p.spec.securityContext.windowsOptions = { hostProcess: true }; }, /hostProcess: pod/],
];

for (const [name, mutate, expected] of cases) {
  t.test(name, async (t) => {
    const v = violationsAfter(mutate);
    t.ok(v.some((e) => expected.test(e)), `${expected} in ${JSON.stringify(v)}`);
  });
}

t.test('allowed values of the baseline checks pass', async (t) => {
  t.same(violationsAfter((p) => {
    p.spec.securityContext.sysctls = [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }, { name: 'net/ipv4/tcp_keepalive_time', value: '60' }];
    p.spec.securityContext.seLinuxOptions = { type: 'container_init_t', level: 's0:c1,c2' };
    p.spec.securityContext.appArmorProfile = { type: 'RuntimeDefault' };
    p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/api'] = 'localhost/profile';
    p.spec.containers[0].securityContext.procMount = 'Default';
    p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 0 }];
    p.spec.hostNetwork = false;
  }), []);
});
