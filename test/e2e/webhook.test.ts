// End-to-end: a real etcd + kube-apiserver (built by build-control-plane.sh),
// the webhook from dist/, the chart's MutatingWebhookConfiguration with only
// clientConfig replaced. Cases follow issue 5; one control plane for all.
import t from 'tap';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { startControlPlane, startWebhook } from './harness.js';
import { RELEASE_NAMESPACE, parseManifests, pointWebhookAt, renderChart } from './chart.js';
import { kubectlBin } from '../support/tools.js';
import { DEFAULT_RUNTIME_NAMES } from '../../src/runtimes/index.js';
import { SIDECAR_NAME, startSidecarWebhook } from './sidecar-webhook.js';
import {
  BYPASS_ANNOTATION,
  INJECT_LABEL,
  STATUS_ANNOTATION,
  apis,
  applyWebhookConfig,
  createNamespace,
  deploymentPod,
  envOf,
  errorBody,
  eventually,
  isInjected,
  statusCode,
} from './kube.js';

const PRELOAD_IMAGE = 'registry.invalid/e2e/otel-preload:e2e';
const MOUNT = '/otel-injector';
const REQUIRE = `--require ${MOUNT}/node/register.cjs`;
const PYTHON_DIR = `${MOUNT}/python`;
const RUNTIMES_ANNOTATION = 'otel-injector.io/runtimes';

const cp = await startControlPlane(t);
const { core, admission } = apis(cp.kubeConfig);
const webhook = await startWebhook(t, cp.dir, { env: { INJECT_PAYLOAD_IMAGE: PRELOAD_IMAGE } });
const renderedYaml = await renderChart();
const rendered = parseManifests(renderedYaml);
const mwc = pointWebhookAt(rendered, `${webhook.url}/mutate`, webhook.caPem);
const mwcName = mwc.metadata?.name ?? '';

// Case 8 first: it applies the chart's own MutatingWebhookConfiguration (dry run),
// which must not meet the url-based copy the other cases install under the same name.
t.test('8: every manifest helm template renders passes kubectl apply --dry-run=server', async (tt) => {
  await createNamespace(core, RELEASE_NAMESPACE);
  const file = join(cp.dir, 'rendered.yaml');
  await writeFile(file, renderedYaml);
  const kubectl = await kubectlBin();
  const { stdout } = await promisify(execFile)(kubectl, ['--kubeconfig', cp.kubeconfigPath, 'apply', '--dry-run=server', '-f', file]);
  const lines = stdout.trim().split('\n');
  tt.equal(lines.length, rendered.length, `one result per rendered manifest (${rendered.length})`);
  for (const m of rendered) {
    const kind = m.kind.toLowerCase();
    const hit = lines.find((l) => l.startsWith(`${kind}`) && l.includes(`/${m.metadata.name} `));
    tt.match(hit, /\(server dry run\)$/, `${m.kind} ${m.metadata.name} accepted`);
  }
});

t.test('the chart\'s MutatingWebhookConfiguration, pointed at the webhook, becomes active', async (tt) => {
  await createNamespace(core, 'e2e-on', { [INJECT_LABEL]: 'enabled' });
  await createNamespace(core, 'e2e-off');
  await applyWebhookConfig(admission, structuredClone(mwc));
  // the API server picks up webhook configurations asynchronously: wait until a
  // dry-run create in the opted-in namespace comes back injected
  const warm = await eventually(
    () => core.createNamespacedPod({ namespace: 'e2e-on', body: deploymentPod('warmup'), dryRun: 'All' }),
    isInjected,
  );
  tt.ok(isInjected(warm), 'dry-run pod injected');
  // every later case needs this: stop here rather than report misleading failures
  if (!isInjected(warm)) t.bailout(`webhook never became active:\n${webhook.proc.tail()}`);
});

function create(namespace: string, body: V1Pod): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace, body });
}

function readBack(pod: V1Pod): Promise<V1Pod> {
  return core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '' });
}

type Asserts = Pick<typeof t, 'equal' | 'ok' | 'same' | 'match'>;

function assertInjected(tt: Asserts, pod: V1Pod, service: string, containers: string[], runtimes: readonly string[] = DEFAULT_RUNTIME_NAMES): void {
  tt.equal(pod.metadata?.annotations?.[STATUS_ANNOTATION], `injected: ${runtimes.join(',')}`, 'status annotation names the runtimes');
  const inits = (pod.spec?.initContainers ?? []).filter((c) => c.image === PRELOAD_IMAGE);
  tt.equal(inits.length, 1, 'exactly one preload init container');
  const initMount = inits[0]?.volumeMounts?.find((m) => m.mountPath === MOUNT);
  tt.ok(initMount, `init container mounts ${MOUNT}`);
  const volume = pod.spec?.volumes?.find((v) => v.name === initMount?.name);
  tt.ok(volume?.emptyDir, 'preload volume is an emptyDir');
  for (const name of containers) {
    const c = pod.spec?.containers.find((x) => x.name === name);
    tt.ok(c, `container ${name} present`);
    const mounts = (c?.volumeMounts ?? []).filter((m) => m.mountPath === MOUNT);
    tt.same(mounts.map((m) => m.name), [initMount?.name], `${name} mounts ${MOUNT} once`);
    const nodeOptions = envOf(pod, name, 'NODE_OPTIONS') ?? '';
    tt.equal(nodeOptions.split(REQUIRE).length - 1, runtimes.includes('node') ? 1 : 0, `${name}: NODE_OPTIONS has ${REQUIRE} ${runtimes.includes('node') ? 'once' : 'not'}`);
    const pythonPath = (envOf(pod, name, 'PYTHONPATH') ?? '').split(':');
    if (runtimes.includes('python')) {
      tt.equal(pythonPath[0], PYTHON_DIR, `${name}: PYTHONPATH starts with ${PYTHON_DIR}`);
      tt.equal(pythonPath.filter((entry) => entry === PYTHON_DIR).length, 1, `${name}: ${PYTHON_DIR} once`);
    } else {
      tt.equal(pythonPath.includes(PYTHON_DIR), false, `${name}: no ${PYTHON_DIR} in PYTHONPATH`);
    }
    tt.equal(envOf(pod, name, 'OTEL_SERVICE_NAME'), service, `${name}: OTEL_SERVICE_NAME`);
  }
  tt.equal(envOf(pod, 'app', 'APP_ENV'), 'e2e', 'user env kept');
}

function assertUntouched(tt: Asserts, pod: V1Pod): void {
  tt.equal(pod.metadata?.annotations?.[STATUS_ANNOTATION], undefined, 'no status annotation');
  tt.same(pod.spec?.initContainers ?? [], [], 'no init containers');
  tt.same((pod.spec?.volumes ?? []).map((v) => v.name), [], 'no volumes added');
  tt.same(pod.spec?.containers[0]?.env, [{ name: 'APP_ENV', value: 'e2e' }], 'env unchanged');
}

t.test('1: Deployment-shaped pod in an opted-in namespace is injected with the Deployment name', async (tt) => {
  const pod = await create('e2e-on', deploymentPod('checkout'));
  const stored = await readBack(pod);
  tt.match(stored.metadata?.name, /^checkout-7d9f8b6c5-[a-z0-9]{5}$/, 'generateName expanded');
  assertInjected(tt, stored, 'checkout', ['app']);
});

t.test('1b: otel-injector.io/runtimes narrows the runtimes of one pod', async (tt) => {
  const python = await readBack(await create('e2e-on', deploymentPod('py-only', '6c7d8e9f0', { [RUNTIMES_ANNOTATION]: 'python' })));
  assertInjected(tt, python, 'py-only', ['app'], ['python']);
  tt.equal(envOf(python, 'app', 'NODE_OPTIONS'), undefined, 'no NODE_OPTIONS for a python-only pod');
  const node = await readBack(await create('e2e-on', deploymentPod('node-only', '5b6c7d8e9', { [RUNTIMES_ANNOTATION]: 'node' })));
  assertInjected(tt, node, 'node-only', ['app'], ['node']);
  tt.equal(envOf(node, 'app', 'PYTHONPATH'), undefined, 'no PYTHONPATH for a node-only pod');
  const none = await readBack(await create('e2e-on', deploymentPod('ruby', '4a5b6c7d8', { [RUNTIMES_ANNOTATION]: 'ruby' })));
  tt.match(none.metadata?.annotations?.[STATUS_ANNOTATION], /^skipped: otel-injector\.io\/runtimes "ruby" names no configured runtime/);
  tt.same(none.spec?.initContainers ?? [], [], 'skipped: no init container');
});

t.test('2: same pod in an unlabelled namespace is untouched', async (tt) => {
  const stored = await readBack(await create('e2e-off', deploymentPod('checkout')));
  assertUntouched(tt, stored);
});

t.test('3: bypass annotation leaves the pod untouched', async (tt) => {
  const stored = await readBack(await create('e2e-on', deploymentPod('opt-out', '5f6d7c8b9', { [BYPASS_ANNOTATION]: 'false' })));
  assertUntouched(tt, stored);
});

t.test('4: Pod Security restricted namespace admits the injected pod', async (tt) => {
  await createNamespace(core, 'e2e-restricted', {
    [INJECT_LABEL]: 'enabled',
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  // the namespace really enforces: a non-compliant pod is rejected
  const bad = deploymentPod('bad');
  delete bad.spec?.containers[0]?.securityContext;
  const rejected = await create('e2e-restricted', bad).then(
    () => 0,
    (err: unknown) => statusCode(err),
  );
  tt.equal(rejected, 403, 'non-compliant pod forbidden by PodSecurity');
  const stored = await readBack(await create('e2e-restricted', deploymentPod('secure')));
  assertInjected(tt, stored, 'secure', ['app']);
});

t.test('6: second mutating webhook adding a container, with reinvocation', async (tt) => {
  const sidecar = await startSidecarWebhook();
  tt.teardown(() => sidecar.close());
  await createNamespace(core, 'e2e-sidecar', { [INJECT_LABEL]: 'enabled', 'e2e/sidecar': 'yes' });
  // named to sort after the chart's configuration: it runs after ours, so only
  // reinvocation can get the added container instrumented
  tt.ok('zz-e2e-sidecar' > mwcName, 'sidecar webhook runs after ours');
  await applyWebhookConfig(admission, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'zz-e2e-sidecar' },
    webhooks: [
      {
        name: 'sidecar.e2e.test',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        namespaceSelector: { matchLabels: { 'e2e/sidecar': 'yes' } },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        clientConfig: { url: sidecar.url, caBundle: Buffer.from(sidecar.caPem).toString('base64') },
      },
    ],
  });
  const dry = await eventually(
    () => core.createNamespacedPod({ namespace: 'e2e-sidecar', body: deploymentPod('mesh'), dryRun: 'All' }),
    (p) => (p.spec?.containers ?? []).some((c) => c.name === SIDECAR_NAME),
  );
  tt.ok(dry.spec?.containers.some((c) => c.name === SIDECAR_NAME), 'sidecar webhook active');
  const stored = await readBack(await create('e2e-sidecar', deploymentPod('mesh')));
  tt.same(stored.spec?.containers.map((c) => c.name), ['app', SIDECAR_NAME], 'sidecar added once');
  assertInjected(tt, stored, 'mesh', ['app', SIDECAR_NAME]);
  tt.equal(stored.spec?.volumes?.length, 1, 'one volume');
  await admission.deleteMutatingWebhookConfiguration({ name: 'zz-e2e-sidecar' });
});

t.test('7: server-side dry run returns the mutated pod and stores nothing', async (tt) => {
  const body = deploymentPod('dry');
  body.metadata = { ...body.metadata, name: 'dry-run-pod', generateName: undefined };
  const answer = await core.createNamespacedPod({ namespace: 'e2e-on', body, dryRun: 'All' });
  assertInjected(tt, answer, 'dry', ['app']);
  const status = await core.readNamespacedPod({ name: 'dry-run-pod', namespace: 'e2e-on' }).then(
    () => 200,
    (err: unknown) => statusCode(err),
  );
  tt.equal(status, 404, 'nothing stored');
});

t.test('5: webhook down: failurePolicy decides', async (tt) => {
  await webhook.stop();
  const ignore = mwc.webhooks?.map((w) => w.failurePolicy);
  tt.ok(ignore?.every((p) => p === 'Ignore'), 'chart renders failurePolicy Ignore');
  const timeout = Math.max(...(mwc.webhooks ?? []).map((w) => w.timeoutSeconds ?? 10));
  const started = Date.now();
  const stored = await readBack(await create('e2e-on', deploymentPod('down')));
  const elapsed = (Date.now() - started) / 1000;
  tt.ok(elapsed < timeout + 2, `created in ${elapsed.toFixed(2)}s (webhook timeout ${timeout}s)`);
  assertUntouched(tt, stored);

  // a webhook that accepts connections and never answers: Ignore still lets the pod in, after timeoutSeconds
  const blackhole = createServer(() => undefined);
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  tt.teardown(() => {
    blackhole.close();
  });
  const hungPort = (blackhole.address() as AddressInfo).port;
  await applyWebhookConfig(admission, pointWebhookAt(rendered, `https://127.0.0.1:${hungPort}/mutate`, webhook.caPem));
  const slow = await eventually(
    async () => {
      const t0 = Date.now();
      const pod = await create('e2e-on', deploymentPod('hung'));
      return { pod, seconds: (Date.now() - t0) / 1000 };
    },
    (r) => r.seconds >= timeout - 0.5,
  );
  tt.ok(slow.seconds >= timeout - 0.5 && slow.seconds < timeout + 3, `hung webhook: created after ${slow.seconds.toFixed(2)}s`);
  assertUntouched(tt, await readBack(slow.pod));

  const failing = structuredClone(mwc);
  for (const w of failing.webhooks ?? []) w.failurePolicy = 'Fail';
  await applyWebhookConfig(admission, failing);
  const err = await eventually(
    () => core.createNamespacedPod({ namespace: 'e2e-on', body: deploymentPod('down'), dryRun: 'All' }).then(() => null, (e: unknown) => e),
    (e) => e !== null,
  );
  tt.ok(err, 'with Fail the dry run is rejected');
  const real = await create('e2e-on', deploymentPod('down-fail')).then(
    () => ({ code: 201, body: '' }),
    (e: unknown) => ({ code: statusCode(e), body: errorBody(e) }),
  );
  tt.equal(real.code, 500, 'with Fail the pod is rejected');
  tt.match(real.body, /failed calling webhook/, 'rejected because the webhook could not be called');
  await applyWebhookConfig(admission, structuredClone(mwc));
});
