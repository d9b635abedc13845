// The controller's RBAC as the real kube-apiserver authorizes it (`kubectl auth can-i --as` its
// ServiceAccount), through `helm install` (report), `helm upgrade` to restart, and to off. No kubelet or
// controllers run: this is about what the objects Helm writes allow, and what they do not.
import t from 'tap';
import { execFile } from 'node:child_process';
import { startControlPlane, type ControlPlane } from '../../e2e/harness.js';
import { kubectlBin } from '../../support/tools.js';
import { chartDir, helm, type HelmResult } from '../lib/render.js';

function kubectl(cp: ControlPlane, args: string[]): Promise<HelmResult> {
  return kubectlBin().then((bin) => new Promise((resolve) => {
    execFile(bin, ['--kubeconfig', cp.kubeconfigPath, ...args], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  }));
}

/** `kubectl auth can-i` as a ServiceAccount; `ns` '' means --all-namespaces (cluster-wide). */
async function canI(cp: ControlPlane, sa: { ns: string; name: string }, verb: string, resource: string, ns: string): Promise<string> {
  const where = ns === '' ? ['--all-namespaces'] : ['-n', ns];
  const r = await kubectl(cp, ['auth', 'can-i', verb, resource, ...where, `--as=system:serviceaccount:${sa.ns}:${sa.name}`]);
  return r.stdout.trim();
}

type Check = [verb: string, resource: string, ns: string, expected: 'yes' | 'no', why: string];

function checks(release: { ns: string; lease: string }, restart: boolean): Check[] {
  const patch = restart ? 'yes' : 'no';
  return [
    ['watch', 'namespaces', '', 'yes', 'watch namespaces'],
    ['list', 'pods', '', 'yes', 'list pods cluster-wide'],
    ['watch', 'pods', 'shop', 'yes', 'watch pods in any namespace'],
    ['get', 'pods', 'shop', 'no', 'no get on pods: the informer cache answers'],
    ['get', 'namespaces', '', 'no', 'no get on namespaces: the informer cache answers'],
    ['get', 'deployments.apps', 'shop', patch, `get Deployments: ${patch} in ${restart ? 'restart' : 'report (which reads no workload)'}`],
    ['get', 'statefulsets.apps', 'shop', patch, 'get StatefulSets likewise'],
    ['get', 'daemonsets.apps', 'shop', patch, 'get DaemonSets likewise'],
    ['patch', 'deployments.apps', 'shop', patch, `patch Deployments: ${patch} in ${restart ? 'restart' : 'report'}`],
    ['patch', 'statefulsets.apps', 'shop', patch, 'patch StatefulSets likewise'],
    ['patch', 'daemonsets.apps', 'shop', patch, 'patch DaemonSets likewise'],
    ['update', 'deployments.apps', 'shop', 'no', 'never update (a full replace) a workload'],
    ['delete', 'pods', 'shop', 'no', 'never delete a pod'],
    ['get', 'replicasets.apps', 'shop', 'no', 'no ReplicaSet access'],
    ['get', 'jobs.batch', 'shop', 'no', 'no Job access'],
    ['get', 'secrets', 'shop', 'no', 'no Secret access'],
    ['get', 'secrets', release.ns, 'no', 'not even in the release namespace'],
    ['create', 'events', 'shop', 'yes', 'create Events'],
    ['patch', 'events', 'shop', 'yes', 'patch Events (an Event that exists already)'],
    ['create', 'events.events.k8s.io', 'shop', 'no', 'no events.k8s.io access: core Events only'],
    ['get', `leases.coordination.k8s.io/${release.lease}`, release.ns, 'yes', 'read its Lease'],
    ['update', `leases.coordination.k8s.io/${release.lease}`, release.ns, 'yes', 'renew its Lease'],
    ['update', 'leases.coordination.k8s.io/someone-else', release.ns, 'no', 'not another Lease'],
    ['create', 'leases.coordination.k8s.io', release.ns, 'yes', 'create the Lease'],
    ['create', 'leases.coordination.k8s.io', 'shop', 'no', 'but only in the release namespace'],
    ['patch', 'mutatingwebhookconfigurations.admissionregistration.k8s.io', '', 'no', "none of the webhook's permissions"],
    ['get', `mutatingwebhookconfigurations.admissionregistration.k8s.io/${release.lease.replace(/-controller$/, '')}`, '', patch, `read its webhook configuration's caBundle: ${patch} in ${restart ? 'restart' : 'report'}`],
    ['get', 'mutatingwebhookconfigurations.admissionregistration.k8s.io/someone-else', '', 'no', 'no other webhook configuration'],
  ];
}

void t.test('controller RBAC: install (report), upgrade to restart, upgrade to off', async (t) => {
  const cp = await startControlPlane(t);
  const ns = 'otel-ctl';
  const name = 'c-otel-injector-controller';
  const sa = { ns, name };
  const release = { ns, lease: name };
  const h = (args: string[]): Promise<HelmResult> => helm(4, [...args, '--kubeconfig', cp.kubeconfigPath]);
  const verify = async (restart: boolean): Promise<void> => {
    for (const [verb, resource, where, expected, why] of checks(release, restart)) {
      t.equal(await canI(cp, sa, verb, resource, where), expected, `${restart ? 'restart' : 'report'}: ${why}`);
    }
  };

  const install = await h(['install', 'c', chartDir, '-n', ns, '--create-namespace']);
  t.equal(install.code, 0, `install: ${install.stderr}`);
  const deploy = await kubectl(cp, ['-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.serviceAccountName}']);
  t.equal(deploy.stdout, name, 'controller Deployment stored, running as its own ServiceAccount');
  await verify(false);
  const webhook = { ns, name: 'c-otel-injector' };
  t.equal(await canI(cp, webhook, 'list', 'pods', ''), 'no', 'the webhook ServiceAccount gains nothing');
  t.equal(await canI(cp, webhook, 'patch', 'deployments.apps', 'shop'), 'no', 'and cannot patch workloads');

  const restart = await h(['upgrade', 'c', chartDir, '-n', ns, '--set', 'controller.mode=restart']);
  t.equal(restart.code, 0, `upgrade to restart: ${restart.stderr}`);
  await verify(true);
  t.equal(await canI(cp, webhook, 'patch', 'deployments.apps', 'shop'), 'no', 'the webhook still cannot patch workloads');

  const off = await h(['upgrade', 'c', chartDir, '-n', ns, '--set', 'controller.mode=off']);
  t.equal(off.code, 0, `upgrade to off: ${off.stderr}`);
  for (const kind of ['deployment', 'serviceaccount', 'role', 'rolebinding']) {
    const r = await kubectl(cp, ['-n', ns, 'get', kind, name]);
    t.not(r.code, 0, `off: the controller's ${kind} is gone`);
  }
  for (const kind of ['clusterrole', 'clusterrolebinding']) {
    const r = await kubectl(cp, ['get', kind, name]);
    t.not(r.code, 0, `off: the controller's ${kind} is gone`);
  }
  const webhookDeploy = await kubectl(cp, ['-n', ns, 'get', 'deployment', 'c-otel-injector', '-o', 'name']);
  t.equal(webhookDeploy.code, 0, 'the webhook stays');
});
