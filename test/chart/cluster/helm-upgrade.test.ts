// `helm install` / `helm upgrade` / `helm uninstall` of the chart against a real kube-apiserver + etcd
// (the end-to-end control plane; build it first with test/e2e/build-control-plane.sh), with Helm 3 and
// Helm 4. What it proves: the release installs as rendered; a caBundle written by someone else (the
// webhook in self-managed mode, cainjector in cert-manager mode) survives `helm upgrade`, including
// `--force`; uninstall removes the cluster-scoped objects.
// No kubelet or controllers run, so pods never start: this is about the objects Helm writes.
import t from 'tap';
import { execFile } from 'node:child_process';
import { issueCa } from '../../../src/certs/issue.js';
import { startControlPlane, type ControlPlane } from '../../e2e/harness.js';
import { kubectlBin } from '../../support/tools.js';
import { chartDir, helm, type HelmResult } from '../lib/render.js';

/** A CA certificate from the project's own issuer (src/certs/issue.ts). */
async function caPem(): Promise<string> {
  return (await issueCa({ commonName: 'webhook-ca', validityDays: 1, now: new Date() })).certPem;
}

async function kubectl(cp: ControlPlane, args: string[]): Promise<HelmResult> {
  const bin = await kubectlBin();
  return new Promise((resolve) => {
    execFile(bin, ['--kubeconfig', cp.kubeconfigPath, ...args], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
}

interface Mwc {
  metadata: { annotations?: Record<string, string> };
  webhooks: { timeoutSeconds: number; clientConfig: { caBundle?: string } }[];
}

async function getMwc(cp: ControlPlane, name: string): Promise<Mwc | undefined> {
  const r = await kubectl(cp, ['get', 'mutatingwebhookconfiguration', name, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Mwc) : undefined;
}

async function canI(cp: ControlPlane, ns: string, sa: string, verb: string, resource: string): Promise<string> {
  const r = await kubectl(cp, ['-n', ns, 'auth', 'can-i', verb, resource, `--as=system:serviceaccount:${ns}:${sa}`]);
  return r.stdout.trim();
}

function entry(mwc: Mwc | undefined): { timeoutSeconds?: number; caBundle?: string } {
  const w = mwc?.webhooks[0];
  return { timeoutSeconds: w?.timeoutSeconds, caBundle: w?.clientConfig.caBundle };
}

void t.test('install, caBundle set by the webhook, upgrade, upgrade --force, uninstall', async (t) => {
  const cp = await startControlPlane(t);
  const bundle = Buffer.from(await caPem()).toString('base64');
  for (const major of [3, 4] as const) {
    await t.test(`Helm ${major}`, async (t) => {
      const release = `h${major}`;
      const ns = `otel-h${major}`;
      const name = `${release}-otel-injector`;
      const h = (args: string[]): Promise<HelmResult> => helm(major, [...args, '--kubeconfig', cp.kubeconfigPath]);

      const install = await h(['install', release, chartDir, '-n', ns, '--create-namespace']);
      t.equal(install.code, 0, `install: ${install.stderr}`);
      const fresh = await getMwc(cp, name);
      t.ok(fresh, 'MutatingWebhookConfiguration created');
      t.equal(entry(fresh).caBundle, undefined, 'no caBundle yet: the webhook writes it');
      const deploy = await kubectl(cp, ['-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}']);
      t.equal(deploy.stdout, '2', 'Deployment stored');
      t.equal(await canI(cp, ns, name, 'patch', `secrets/${name}-tls`), 'yes', 'webhook SA may patch its Secret');
      t.equal(await canI(cp, ns, name, 'get', 'secrets/other'), 'no', 'but not read another Secret');
      t.equal(await canI(cp, ns, name, 'list', 'secrets'), 'no', 'nor list Secrets');
      t.equal(await canI(cp, ns, name, 'patch', `mutatingwebhookconfigurations/${name}`), 'yes', 'webhook SA may patch its configuration');
      t.equal(await canI(cp, ns, name, 'patch', 'mutatingwebhookconfigurations/someone-else'), 'no', 'and no other configuration');

      // what the webhook does at startup, with its own field manager
      const patch = JSON.stringify([{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: bundle }]);
      const patched = await kubectl(cp, ['patch', 'mutatingwebhookconfiguration', name, '--type=json', '-p', patch, '--field-manager=otel-injector']);
      t.equal(patched.code, 0, patched.stderr);

      const upgrade = await h(['upgrade', release, chartDir, '-n', ns, '--set', 'webhook.timeoutSeconds=7']);
      t.equal(upgrade.code, 0, `upgrade: ${upgrade.stderr}`);
      const after = await getMwc(cp, name);
      t.same(entry(after), { timeoutSeconds: 7, caBundle: bundle }, 'upgrade applied and kept the caBundle');

      // Helm 4 refuses to replace under server-side apply: replace through a client-side upgrade
      const forceArgs = major === 3 ? ['--force'] : ['--force-replace', '--server-side=false'];
      const force = await h(['upgrade', release, chartDir, '-n', ns, '--set', 'webhook.timeoutSeconds=8', ...forceArgs]);
      t.equal(force.code, 0, `upgrade --force: ${force.stderr}`);
      const forced = await getMwc(cp, name);
      t.same(entry(forced), { timeoutSeconds: 8, caBundle: bundle }, 'a forced (replacing) upgrade applied and kept the caBundle');

      const uninstall = await h(['uninstall', release, '-n', ns]);
      t.equal(uninstall.code, 0, uninstall.stderr);
      t.equal(await getMwc(cp, name), undefined, 'uninstall removed the configuration');
      const cr = await kubectl(cp, ['get', 'clusterrole', name]);
      t.not(cr.code, 0, 'and the ClusterRole');
    });
  }
});

void t.test('the API server stores every object of non-default values (Helm 4 install, secret mode)', async (t) => {
  const cp = await startControlPlane(t);
  const ns = 'otel-variants';
  const values = [
    '--set', 'certificates.mode=secret', '--set', 'certificates.secret.name=my-tls',
    '--set-string', `certificates.secret.caBundle=${Buffer.from(await caPem()).toString('base64')}`,
    '--set', 'webhook.failurePolicy=Fail', '--set', 'webhook.timeoutSeconds=10',
    '--set', 'namespaceSelector.labelKey=example.com/otel', '--set', 'namespaceSelector.labelValue=on',
    '--set-json', 'inject.extraEnv={"ENABLE_TRACING":"true"}', '--set-json', 'inject.skipOwnerKinds=["Job","CronJob"]',
    '--set', 'replicaCount=3', '--set', 'telemetry.otlpEndpoint=http://collector:4318',
  ];
  const install = await helm(4, ['install', 'v', chartDir, '-n', ns, '--create-namespace', '--kubeconfig', cp.kubeconfigPath, ...values]);
  t.equal(install.code, 0, `install: ${install.stderr}`);
  const mwc = (await getMwc(cp, 'v-otel-injector')) as unknown as { webhooks: { failurePolicy: string; clientConfig: { caBundle?: string } }[] };
  t.equal(mwc.webhooks[0]?.failurePolicy, 'Fail');
  t.ok(mwc.webhooks[0]?.clientConfig.caBundle, 'caBundle from values');
  const env = await kubectl(cp, ['-n', ns, 'get', 'deployment', 'v-otel-injector', '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="INJECT_SKIP_OWNER_KINDS")].value}']);
  t.equal(env.stdout, 'Job,CronJob');
  const roles = await kubectl(cp, ['-n', ns, 'get', 'roles', '-o', 'name']);
  t.equal(roles.stdout.trim(), 'role.rbac.authorization.k8s.io/v-otel-injector-controller', "no Role for the webhook in secret mode (the controller's Lease Role only)");
});
