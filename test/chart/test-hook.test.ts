// The `helm test` hook: its rendered script runs under /bin/sh with the real kubectl for everything
// except the one API call (`kubectl create --dry-run=server`), which a shim answers with what the
// webhook would return: the probe pod passed through the real injector (src/inject) configured by the
// env the chart renders. Its verdict must be PASS for an injected pod and FAIL otherwise.
import t from 'tap';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { injectPod } from '../../src/inject/index.js';
import { restrictedViolations } from '../support/pod-security.js';
import { kubectlBin } from '../support/tools.js';
import { all, dig, envMap, isHook, NAMESPACE, one, render, webhookEnv, type EnvVar, type Manifest, type Obj } from './lib/render.js';

const SHIM = `#!/bin/sh
if [ "$1" = create ]; then
  printf '%s\\n' "$*" > "$SHIM_DIR/args"
  prev=""
  for a in "$@"; do
    if [ "$prev" = "-f" ]; then cp "$a" "$SHIM_DIR/seen.json"; fi
    prev="$a"
  done
  if [ "$SHIM_RC" != 0 ]; then echo 'Error from server (Forbidden): pods is forbidden' >&2; exit "$SHIM_RC"; fi
  cat "$SHIM_DIR/response.json"
  exit 0
fi
exec "$REAL_KUBECTL" "$@"
`;

interface Hook {
  script: string;
  env: Record<string, string>;
}

function hookOf(manifests: readonly Manifest[]): Hook {
  const pod = all(manifests, 'Pod').find(isHook);
  if (pod === undefined) throw new Error('no test pod');
  const container = (dig(pod, 'spec', 'containers') as Obj[])[0] as Obj;
  const cm = one(manifests, 'ConfigMap');
  const mountedAs = (container.command as string[])[1] ?? '';
  const script = (cm.data as Record<string, string>)[mountedAs.split('/').pop() ?? ''];
  if (script === undefined) throw new Error(`ConfigMap has no ${mountedAs}`);
  return { script, env: envMap(container.env as EnvVar[]) };
}

function webhookConfig(manifests: readonly Manifest[]): ReturnType<typeof parseConfig> {
  return parseConfig({ ...envMap(webhookEnv(manifests)), POD_NAMESPACE: NAMESPACE }, '0.1.0');
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  args: string;
  seen: unknown;
}

async function runHook(hook: Hook, response: unknown, rc = 0): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'otel-hook-'));
  try {
    await writeFile(join(dir, 'kubectl'), SHIM);
    await chmod(join(dir, 'kubectl'), 0o755);
    await writeFile(join(dir, 'script.sh'), hook.script);
    await writeFile(join(dir, 'response.json'), JSON.stringify(response));
    const env = { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, TMPDIR: dir, SHIM_DIR: dir, SHIM_RC: String(rc), REAL_KUBECTL: await kubectlBin(), ...hook.env };
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('/bin/sh', [join(dir, 'script.sh')], { env }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
      });
    });
    const args = await readFile(join(dir, 'args'), 'utf8').catch(() => '');
    const seen: unknown = JSON.parse(await readFile(join(dir, 'seen.json'), 'utf8').catch(() => 'null'));
    return { ...result, args, seen };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void t.test('the hook passes when the webhook instruments the probe pod', async (t) => {
  const m = await render(4, { tests: { namespace: 'shop' } });
  const hook = hookOf(m);
  t.equal(hook.env.TEST_NAMESPACE, 'shop');
  const probe: unknown = JSON.parse(hook.env.PROBE_POD ?? '');
  t.same(restrictedViolations(probe), [], 'the probe pod passes restricted, so it works in a restricted namespace');
  const injected = injectPod(probe, { namespace: 'shop', config: webhookConfig(m).inject });
  t.equal(injected.decision, 'injected', 'the real injector instruments the probe');
  t.same(restrictedViolations(injected.pod), [], 'the injected probe still passes restricted');

  const run = await runHook(hook, injected.pod);
  t.equal(run.code, 0, `${run.stdout}${run.stderr}`);
  t.match(run.stdout, /PASS/);
  t.match(run.stdout, /otel-injector\.io\/status: injected: node,python/);
  t.match(run.stdout, /PASS: the pod came back instrumented \(node,python\)/);
  t.match(run.stdout, /PYTHONPATH: \/otel-injector\/python/);
  t.match(run.args, /--dry-run=server/, 'dry run only');
  t.match(run.args, /-n shop/, 'in the opted-in namespace');
  t.same(run.seen, probe, 'sends the probe pod');
});

void t.test('the hook fails when the pod comes back uninstrumented', async (t) => {
  const m = await render(3);
  const hook = hookOf(m);
  const probe = JSON.parse(hook.env.PROBE_POD ?? '') as Obj;
  const config = webhookConfig(m).inject;

  const untouched = await runHook(hook, probe);
  t.equal(untouched.code, 1, 'namespace not labelled: webhook never called');
  t.match(untouched.stderr, /FAIL: annotation otel-injector\.io\/status is '', expected 'injected: <runtimes>'/);

  const optedOut = { ...probe, metadata: { ...(probe.metadata as Obj), annotations: { 'otel-injector.io/inject': 'false' } } };
  const bypassed = injectPod(optedOut, { namespace: 'default', config });
  t.equal(bypassed.decision, 'bypassed');
  const r2 = await runHook(hook, bypassed.pod);
  t.equal(r2.code, 1, 'opted-out pod fails the check');

  const skippedPod = injectPod({ ...probe, metadata: { ...(probe.metadata as Obj), ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u' }] } },
    { namespace: 'default', config: { ...config, skipOwnerKinds: ['Job'] } });
  t.equal(skippedPod.decision, 'skipped');
  const r3 = await runHook(hook, skippedPod.pod);
  t.equal(r3.code, 1);
  t.match(r3.stderr, /status is 'skipped: /, 'reports the skip reason');

  const injected = injectPod(probe, { namespace: 'default', config }).pod as Obj;
  const noInit = { ...injected, spec: { ...(injected.spec as Obj), initContainers: [] } };
  const r4 = await runHook(hook, noInit);
  t.equal(r4.code, 1);
  t.match(r4.stderr, /no init container/);

  const noRequire = structuredClone(injected) as { spec: { containers: { env?: EnvVar[] }[] } };
  for (const c of noRequire.spec.containers) c.env = (c.env ?? []).filter((e) => e.name !== 'NODE_OPTIONS');
  const r5 = await runHook(hook, noRequire);
  t.equal(r5.code, 1);
  t.match(r5.stderr, /NODE_OPTIONS does not --require/);

  const noPythonPath = structuredClone(injected) as { spec: { containers: { env?: EnvVar[] }[] } };
  for (const c of noPythonPath.spec.containers) c.env = (c.env ?? []).filter((e) => e.name !== 'PYTHONPATH');
  const r6 = await runHook(hook, noPythonPath);
  t.equal(r6.code, 1);
  t.match(r6.stderr, /PYTHONPATH does not start with the payload's python folder/);

  const pythonLast = structuredClone(injected) as { spec: { containers: { env?: EnvVar[] }[] } };
  for (const c of pythonLast.spec.containers) {
    c.env = (c.env ?? []).map((e) => (e.name === 'PYTHONPATH' ? { ...e, value: `/app:${String(e.value)}` } : e));
  }
  const r7 = await runHook(hook, pythonLast);
  t.equal(r7.code, 1, 'our folder must come first');
  t.match(r7.stderr, /PYTHONPATH does not start/);

  const refused = await runHook(hook, probe, 1);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /was refused/);
});

void t.test('the hook checks only the runtimes the status names', async (t) => {
  const m = await render(4, { inject: { runtimes: ['python'] } });
  const hook = hookOf(m);
  const probe: unknown = JSON.parse(hook.env.PROBE_POD ?? '');
  const injected = injectPod(probe, { namespace: 'default', config: webhookConfig(m).inject });
  t.equal((injected.pod.metadata?.annotations ?? {})['otel-injector.io/status'], 'injected: python');
  const run = await runHook(hook, injected.pod);
  t.equal(run.code, 0, `python only: no NODE_OPTIONS needed\n${run.stdout}${run.stderr}`);
  t.match(run.stdout, /NODE_OPTIONS: <none>/);
  t.match(run.stdout, /PASS: the pod came back instrumented \(python\)/);

  // a webhook from before the Python runtime writes a bare `injected` and only NODE_OPTIONS
  const nodeOnly = injectPod(probe, { namespace: 'default', config: { ...webhookConfig(m).inject, runtimes: ['node'] } }).pod as Obj;
  const legacy: Obj = { ...nodeOnly, metadata: { ...(nodeOnly.metadata as Obj), annotations: { 'otel-injector.io/status': 'injected' } } };
  const old = await runHook(hook, legacy);
  t.equal(old.code, 0, `bare 'injected' is read as node\n${old.stdout}${old.stderr}`);
  const legacyWithout = structuredClone(legacy) as { spec: { containers: { env?: EnvVar[] }[] } };
  for (const c of legacyWithout.spec.containers) c.env = (c.env ?? []).filter((e) => e.name !== 'NODE_OPTIONS');
  const oldBroken = await runHook(hook, legacyWithout);
  t.equal(oldBroken.code, 1);
  t.match(oldBroken.stderr, /NODE_OPTIONS does not --require/);
});

void t.test('test hook objects: setup hooks run first and are cleaned up, RBAC is create-pods in the test namespace only', async (t) => {
  const m = await render(4, { tests: { namespace: 'shop' } });
  const pod = all(m, 'Pod').find(isHook) as Manifest;
  const podWeight = Number(pod.metadata.annotations?.['helm.sh/hook-weight']);
  for (const kind of ['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding']) {
    const hooks = all(m, kind).filter(isHook);
    t.equal(hooks.length, 1, `one ${kind} hook`);
    const h = hooks[0] as Manifest;
    t.equal(h.metadata.annotations?.['helm.sh/hook'], 'test');
    t.ok(Number(h.metadata.annotations?.['helm.sh/hook-weight']) < podWeight, `${kind} is created before the pod`);
    t.match(h.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '', /hook-succeeded/);
  }
  const role = all(m, 'Role').find(isHook) as Manifest;
  t.equal(role.metadata.namespace, 'shop');
  t.same(role.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }]);
  const sa = all(m, 'ServiceAccount').find(isHook) as Manifest;
  t.equal(dig(pod, 'spec', 'serviceAccountName'), sa.metadata.name);
  t.same(dig(all(m, 'RoleBinding').find(isHook), 'subjects'), [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }]);
  t.equal(dig(pod, 'spec', 'containers', 0, 'image'), 'docker.io/bitnami/kubectl:latest');
});
