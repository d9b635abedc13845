// The chart's `helm test`, run for real: a real kube-apiserver + etcd (the end-to-end control plane), the built
// webhook (`node dist/main.js`), the chart's rendered MutatingWebhookConfiguration (only clientConfig pointed at
// the local webhook), the hook's own ServiceAccount/Role/RoleBinding, and the hook Pod's command line (the
// image's entrypoint is node: `node <args>`, args[0] mapped from /app to the built repository) authenticated
// as that ServiceAccount's token. Needs test/e2e/build-control-plane.sh and `npm run build` first.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startControlPlane, startWebhook, type ControlPlane } from '../../e2e/harness.js';
import { kubectlBin, repoRoot } from '../../support/tools.js';
import { all, dig, isHook, NAMESPACE, one, render, type HelmResult, type Manifest, type Obj } from '../lib/render.js';

function exec(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<HelmResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env: opts.env ?? process.env }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function kubectl(cp: ControlPlane, args: string[], input?: string): Promise<HelmResult> {
  const r = await exec(await kubectlBin(), ['--kubeconfig', cp.kubeconfigPath, ...args], { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r;
}

function pointAt(mwc: Manifest, url: string, caPem: string): Manifest {
  const copy = structuredClone(mwc);
  for (const w of copy.webhooks as Obj[]) w.clientConfig = { url, caBundle: Buffer.from(caPem).toString('base64') };
  return copy;
}

async function serviceAccountKubeconfig(cp: ControlPlane, dir: string, ns: string, sa: string): Promise<string> {
  const token = (await kubectl(cp, ['-n', ns, 'create', 'token', sa])).stdout.trim();
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
    users: [{ name: sa, user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: 'e2e', user: sa } }],
    'current-context': 'sa',
  };
  const path = join(dir, 'sa.kubeconfig');
  await writeFile(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

void t.test('helm test script against a real API server and webhook', async (t) => {
  const cp = await startControlPlane(t);
  const webhook = await startWebhook(t, cp.dir, { logName: 'chart-hook' });
  const m = await render(4, { tests: { namespace: 'shop' } });

  await kubectl(cp, ['create', 'namespace', NAMESPACE]);
  await kubectl(cp, ['create', 'namespace', 'shop']);
  await kubectl(cp, ['label', 'namespace', 'shop', 'otel-injector.io/inject=enabled']);
  const mwc = pointAt(one(m, 'MutatingWebhookConfiguration'), `${webhook.url}/mutate`, webhook.caPem);
  await kubectl(cp, ['apply', '-f', '-'], JSON.stringify(mwc));
  const setup = m.filter((x) => isHook(x) && x.kind !== 'Pod');
  t.same(setup.map((x) => x.kind).sort(), ['Role', 'RoleBinding', 'ServiceAccount']);
  await kubectl(cp, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: setup }));

  const pod = all(m, 'Pod').find(isHook) as Manifest;
  const args = dig(pod, 'spec', 'containers', 0, 'args') as string[];
  t.equal(args[0], '/app/dist/cli/main.js', 'the command line the webhook image ships');
  const cliArgs = [join(repoRoot, 'dist', 'cli', 'main.js'), ...args.slice(1)];
  const dir = await mkdtemp(join(cp.dir, 'hook-'));
  const kubeconfig = await serviceAccountKubeconfig(cp, dir, NAMESPACE, dig(pod, 'spec', 'serviceAccountName') as string);
  const runHook = (extra: string[] = []): Promise<HelmResult> =>
    exec(process.execPath, [...cliArgs, ...extra], { env: { PATH: '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig } });

  const pass = await runHook();
  t.equal(pass.code, 0, `${pass.stdout}${pass.stderr}`);
  t.comment(pass.stdout);
  t.match(pass.stdout, /PASS: the pod came back instrumented \(node,python\)/);
  t.match(pass.stdout, /otel-injector\.io\/status: injected: node,python/);
  t.match(pass.stdout, /probe: PYTHONPATH=\/otel-injector\/python/);
  const stored = await kubectl(cp, ['-n', 'shop', 'get', 'pods', '-o', 'name']);
  t.equal(stored.stdout.trim(), '', 'dry run: nothing stored');

  await kubectl(cp, ['label', 'namespace', 'shop', 'otel-injector.io/inject-']);
  const fail = await runHook();
  t.equal(fail.code, 1, 'namespace no longer opted in: the test fails');
  t.match(fail.stderr, /FAIL: no status annotation: the webhook was not called/);

  const elsewhere = await runHook(['-n', 'default']);
  t.equal(elsewhere.code, 5, 'the test ServiceAccount may not create pods outside tests.namespace');
  t.match(elsewhere.stderr, /forbidden: missing RBAC permission "create pods" in namespace "default"/);
});
