// The `helm test` hook: a Pod running the webhook's own image with `otel-injector selftest`. The command line
// the chart renders is parsed and run in-process against an API stand-in whose dry-run create answers with
// what the webhook would return: the probe pod passed through the real injector (src/inject) configured by
// the env the chart renders for the Deployment. Its verdict must be PASS for an injected pod and FAIL otherwise.
import t from 'tap';
import type { V1Pod } from '@kubernetes/client-node';
import { parseCommandLine } from '../../src/cli/args.js';
import { CliError, EXIT } from '../../src/cli/errors.js';
import type { Kube } from '../../src/cli/kube.js';
import { selftest, selftestText, type SelftestResult } from '../../src/cli/selftest.js';
import { parseConfig } from '../../src/config/index.js';
import { injectPod } from '../../src/inject/index.js';
import { restrictedViolations } from '../support/pod-security.js';
import { all, dig, envMap, isHook, NAMESPACE, render, webhookEnv, type EnvVar, type Manifest, type Obj } from './lib/render.js';

type InjectConfig = ReturnType<typeof parseConfig>['inject'];
type Answer = (body: V1Pod, namespace: string) => unknown;

function hookPod(manifests: readonly Manifest[]): Manifest {
  const pod = all(manifests, 'Pod').find(isHook);
  if (pod === undefined) throw new Error('no test pod');
  return pod;
}

/** The selftest namespace the hook's command line names (the image's entrypoint is node, args[0] the CLI). */
function hookNamespace(manifests: readonly Manifest[]): string {
  const args = dig(hookPod(manifests), 'spec', 'containers', 0, 'args') as string[];
  const parsed = parseCommandLine(args.slice(1));
  if (parsed.command !== 'selftest') throw new Error(`the hook runs ${parsed.command}`);
  return parsed.values.namespace as string;
}

function webhookConfig(manifests: readonly Manifest[]): InjectConfig {
  return parseConfig({ ...envMap(webhookEnv(manifests)), POD_NAMESPACE: NAMESPACE }, '0.1.0').inject;
}

interface Call { namespace: string; dryRun: unknown; body: V1Pod }

function fakeKube(answer: Answer, calls: Call[] = []): Kube {
  const createNamespacedPod = (req: { namespace: string; body: V1Pod; dryRun?: string }): Promise<unknown> => {
    calls.push({ namespace: req.namespace, dryRun: req.dryRun, body: structuredClone(req.body) });
    return Promise.resolve(answer(structuredClone(req.body), req.namespace));
  };
  return { server: 'https://127.0.0.1:6443', context: 'hook', namespace: 'default', core: { createNamespacedPod } } as unknown as Kube;
}

const injecting = (config: InjectConfig): Answer => (body, namespace) => injectPod(body, { namespace, config }).pod;

async function verdict(manifests: readonly Manifest[], answer: Answer): Promise<SelftestResult & { err: string; out: string }> {
  const result = await selftest(fakeKube(answer), hookNamespace(manifests));
  return { ...result, ...selftestText(result) };
}

type EnvPod = { spec: { containers: { env?: EnvVar[] }[]; initContainers?: unknown[] } };
function editEnv(pod: unknown, edit: (env: EnvVar[]) => EnvVar[]): EnvPod {
  const copy = structuredClone(pod) as EnvPod;
  for (const c of copy.spec.containers) c.env = edit(c.env ?? []);
  return copy;
}

void t.test('the hook passes when the webhook instruments the probe pod, by a dry run in tests.namespace', async (t) => {
  const m = await render(4, { tests: { namespace: 'shop' } });
  t.equal(hookNamespace(m), 'shop');
  const calls: Call[] = [];
  const result = await selftest(fakeKube(injecting(webhookConfig(m)), calls), hookNamespace(m));
  const text = selftestText(result);
  t.ok(result.ok, `${text.out}${text.err}`);
  t.same(result.runtimes, ['node', 'python']);
  t.equal(calls.length, 1, 'one API call');
  t.equal(calls[0]?.dryRun, 'All', 'dry run only');
  t.equal(calls[0]?.namespace, 'shop', 'in the opted-in namespace');
  t.same(restrictedViolations(calls[0]?.body), [], 'the probe passes restricted, so it works in a restricted namespace');
  t.match(text.out, /otel-injector\.io\/status: injected: node,python/);
  t.match(text.out, /probe: PYTHONPATH=\/otel-injector\/python/);
  t.match(text.out, /PASS: the pod came back instrumented \(node,python\)/);
  t.equal(text.err, '');
});

void t.test('the hook fails when the pod comes back uninstrumented, saying why', async (t) => {
  const m = await render(3);
  const config = webhookConfig(m);

  const untouched = await verdict(m, (body) => body);
  t.notOk(untouched.ok, 'namespace not labelled: webhook never called');
  t.match(untouched.err, /FAIL: no status annotation: the webhook was not called/);
  t.match(untouched.err, /is namespace default labelled/);

  const bypassed = await verdict(m, (body, namespace) => {
    body.metadata = { ...body.metadata, annotations: { 'otel-injector.io/inject': 'false' } };
    return injectPod(body, { namespace, config }).pod;
  });
  t.notOk(bypassed.ok, 'opted-out pod fails the check');
  t.match(bypassed.err, /FAIL: /);

  const skipped = await verdict(m, (body, namespace) => {
    body.metadata = { ...body.metadata, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u' }] };
    return injectPod(body, { namespace, config: { ...config, skipOwnerKinds: ['Job'] } }).pod;
  });
  t.notOk(skipped.ok);
  t.match(skipped.err, /status is 'skipped: /, 'reports the skip reason');

  const inject = injecting(config);
  const noInit = await verdict(m, (body, ns) => {
    const pod = inject(body, ns) as Obj;
    return { ...pod, spec: { ...(pod.spec as Obj), initContainers: [] } };
  });
  t.notOk(noInit.ok);
  t.match(noInit.err, /no init container/);

  const noRequire = await verdict(m, (body, ns) => editEnv(inject(body, ns), (env) => env.filter((e) => e.name !== 'NODE_OPTIONS')));
  t.notOk(noRequire.ok);
  t.match(noRequire.err, /container probe: NODE_OPTIONS does not load the payload from the injected volume \(\/otel-injector\)/);

  const noPythonPath = await verdict(m, (body, ns) => editEnv(inject(body, ns), (env) => env.filter((e) => e.name !== 'PYTHONPATH')));
  t.notOk(noPythonPath.ok);
  t.match(noPythonPath.err, /PYTHONPATH does not load the payload first the injected volume/);

  const pythonLast = await verdict(m, (body, ns) => editEnv(inject(body, ns), (env) => env.map((e) => (e.name === 'PYTHONPATH' ? { ...e, value: `/app:${String(e.value)}` } : e))));
  t.notOk(pythonLast.ok, 'our folder must come first');
  t.match(pythonLast.err, /PYTHONPATH does not load the payload first/);

  const elsewhere = await verdict(m, (body, ns) => editEnv(inject(body, ns), (env) => env.map((e) => (e.name === 'NODE_OPTIONS' ? { ...e, value: '--require /opt/other/preload.cjs' } : e))));
  t.notOk(elsewhere.ok, 'a --require of something else is not our payload');

  const unknown = await verdict(m, (body, ns) => {
    const pod = inject(body, ns) as V1Pod;
    pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, 'otel-injector.io/status': 'injected: node,cobol' } };
    return pod;
  });
  t.notOk(unknown.ok);
  t.match(unknown.err, /runtime "cobol", which this version of otel-injector does not know/);

  const refused = await selftest(fakeKube(() => { throw Object.assign(new Error('forbidden'), { code: 403, body: '{"message":"pods is forbidden"}' }); }), 'default').catch((error: unknown) => error);
  t.ok(refused instanceof CliError && refused.exitCode === EXIT.forbidden, 'forbidden: exit 5');
  t.match((refused as Error).message, /missing RBAC permission "create pods" in namespace "default"/);
});

void t.test('the hook checks only the runtimes the status names', async (t) => {
  const m = await render(4, { inject: { runtimes: ['python'] } });
  const config = webhookConfig(m);
  const python = await verdict(m, injecting(config));
  t.ok(python.ok, `python only: no NODE_OPTIONS needed\n${python.out}${python.err}`);
  t.notMatch(python.out, /NODE_OPTIONS/);
  t.match(python.out, /PASS: the pod came back instrumented \(python\)/);

  // a webhook from before the Python runtime writes a bare `injected` and only NODE_OPTIONS
  const legacy: Answer = (body, namespace) => {
    const pod = injectPod(body, { namespace, config: { ...config, runtimes: ['node'] } }).pod as V1Pod;
    pod.metadata = { ...pod.metadata, annotations: { 'otel-injector.io/status': 'injected' } };
    return pod;
  };
  const old = await verdict(m, legacy);
  t.ok(old.ok, `bare 'injected' is read as node\n${old.out}${old.err}`);
  const oldBroken = await verdict(m, (body, ns) => editEnv(legacy(body, ns), (env) => env.filter((e) => e.name !== 'NODE_OPTIONS')));
  t.notOk(oldBroken.ok);
  t.match(oldBroken.err, /NODE_OPTIONS does not load the payload/);
});

void t.test('the test pod runs the webhook image, restricted, with create-pods in the test namespace only', async (t) => {
  const m = await render(4, { tests: { namespace: 'shop' }, image: { tag: '9.9.9' }, imagePullSecrets: [{ name: 'regcred' }] });
  const pod = hookPod(m);
  const deployment = all(m, 'Deployment').find((d) => dig(d, 'spec', 'template', 'spec', 'containers', 0, 'name') === 'webhook') as Manifest;
  const webhookImage = dig(deployment, 'spec', 'template', 'spec', 'containers', 0, 'image') as string;
  t.equal(webhookImage, 'ghcr.io/otel-injector/otel-injector:9.9.9');
  t.equal(dig(pod, 'spec', 'containers', 0, 'image'), webhookImage, 'the same image as the webhook, pinned with the chart');
  t.same(dig(pod, 'spec', 'imagePullSecrets'), [{ name: 'regcred' }], 'pulled with the same credentials');
  t.same(dig(pod, 'spec', 'containers', 0, 'args'), ['/app/dist/cli/main.js', 'selftest', '-n', 'shop']);
  t.notMatch(JSON.stringify(m), /bitnami|kubectl:latest/, 'no third-party image');
  t.same(restrictedViolations(pod), [], 'the test pod passes Pod Security restricted');

  const digest = `sha256:${'a'.repeat(64)}`;
  const pinned = await render(4, { image: { digest } });
  t.equal(dig(hookPod(pinned), 'spec', 'containers', 0, 'image'), `ghcr.io/otel-injector/otel-injector@${digest}`, 'a digest pins the test image too');

  const podWeight = Number(pod.metadata.annotations?.['helm.sh/hook-weight']);
  const setup = m.filter((x) => isHook(x) && x.kind !== 'Pod');
  t.same(setup.map((x) => x.kind).sort(), ['Role', 'RoleBinding', 'ServiceAccount'], 'no script ConfigMap any more');
  for (const h of setup) {
    t.equal(h.metadata.annotations?.['helm.sh/hook'], 'test');
    t.ok(Number(h.metadata.annotations?.['helm.sh/hook-weight']) < podWeight, `${h.kind} is created before the pod`);
    t.match(h.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '', /hook-succeeded/);
  }
  const role = all(m, 'Role').find(isHook) as Manifest;
  t.equal(role.metadata.namespace, 'shop');
  t.same(role.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }]);
  t.equal(all(m, 'ClusterRole').filter(isHook).length, 0, 'nothing cluster-wide');
  const sa = all(m, 'ServiceAccount').find(isHook) as Manifest;
  t.equal(dig(pod, 'spec', 'serviceAccountName'), sa.metadata.name);
  t.same(dig(all(m, 'RoleBinding').find(isHook), 'subjects'), [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }]);

  const off = await render(4, { tests: { enabled: false } });
  t.equal(off.filter(isHook).length, 0, 'tests.enabled=false renders no hook');
});
