import t from 'tap';
import fc from 'fast-check';
import { arbAdmissionReview, arbPod, type Pod } from './arbitraries.js';
import { restrictedViolations, validatePod } from './pod-judge.js';
import { kubeletEnv } from './kubelet-env.js';

type AnyPod = Record<string, any>;
const containersOf = (p: AnyPod): AnyPod[] => [...(p.spec.initContainers ?? []), ...p.spec.containers];
const envOf = (p: AnyPod): AnyPod[] => containersOf(p).flatMap((c) => c.env ?? []);

t.test('every generated pod is valid for kube-apiserver', async (t) => {
  fc.assert(fc.property(arbPod(), (pod) => {
    const errs = validatePod(pod);
    if (errs.length > 0) throw new Error(errs.join('\n'));
  }), { numRuns: 500 });
  t.pass('500 pods validated');
});

t.test('restricted pods pass Pod Security restricted; others may not', async (t) => {
  fc.assert(fc.property(arbPod({ restricted: true }), (pod) => {
    const v = [...validatePod(pod), ...restrictedViolations(pod)];
    if (v.length > 0) throw new Error(v.join('\n'));
  }), { numRuns: 300 });
  const loose = fc.sample(arbPod({ restricted: false }), { numRuns: 200, seed: 7 });
  t.ok(loose.some((p) => restrictedViolations(p).length > 0), 'non-restricted pods include violating ones');
  t.ok(loose.every((p) => validatePod(p).length === 0), 'and are still valid');
});

t.test('generated pods are independent objects', async (t) => {
  const first = fc.sample(arbPod(), { numRuns: 50, seed: 42 });
  const snapshot = JSON.stringify(first);
  for (const p of first as AnyPod[]) {
    for (const c of containersOf(p)) (c.env ??= []).push({ name: 'MUTATED', value: 'x' });
    for (const v of p.spec.volumes ?? []) v.mutated = true;
  }
  t.equal(JSON.stringify(fc.sample(arbPod(), { numRuns: 50, seed: 42 })), snapshot);
});

t.test('the generator covers the shapes the injector must handle', async (t) => {
  const pods = fc.sample(arbPod(), { numRuns: 1500, seed: 1 }) as AnyPod[];
  const count = (pred: (p: AnyPod) => boolean): number => pods.filter(pred).length;
  const ann = (p: AnyPod): Record<string, string> => p.metadata.annotations ?? {};
  const owner = (p: AnyPod): string => p.metadata.ownerReferences?.[0]?.kind ?? 'none';
  const nodeOpts = (p: AnyPod): AnyPod[] => envOf(p).filter((e) => e.name === 'NODE_OPTIONS');
  const pythonPath = (p: AnyPod): AnyPod[] => envOf(p).filter((e) => e.name === 'PYTHONPATH');
  const referencesLater = (p: AnyPod, name: string): boolean => containersOf(p).some((c) => {
    const env = (c.env ?? []) as AnyPod[];
    const last = env.map((e) => e.name).lastIndexOf(name);
    return last >= 0 && env.slice(last + 1).some((e) => String(e.value ?? '').includes(`$(${name})`));
  });
  const expandsReference = (p: AnyPod): boolean => p.spec.containers.some((c: AnyPod) => {
    const env = kubeletEnv(c);
    return (c.env ?? []).some((e: AnyPod) => typeof e.value === 'string' && e.value.includes('$(') && env.get(e.name) !== e.value);
  });
  const shapes: Record<string, number> = {
    'no init containers': count((p) => (p.spec.initContainers ?? []).length === 0),
    '3 init containers': count((p) => (p.spec.initContainers ?? []).length === 3),
    '1 container': count((p) => p.spec.containers.length === 1),
    '4 containers': count((p) => p.spec.containers.length === 4),
    'NODE_OPTIONS literal': count((p) => nodeOpts(p).some((e) => typeof e.value === 'string' && !e.value.includes('$('))),
    'NODE_OPTIONS valueFrom': count((p) => nodeOpts(p).some((e) => e.valueFrom !== undefined)),
    'NODE_OPTIONS with $(X)': count((p) => nodeOpts(p).some((e) => String(e.value).includes('$('))),
    'NODE_OPTIONS referenced later': count((p) => referencesLater(p, 'NODE_OPTIONS')),
    'PYTHONPATH literal': count((p) => pythonPath(p).some((e) => typeof e.value === 'string' && e.value !== '' && !e.value.includes('$('))),
    'PYTHONPATH empty': count((p) => pythonPath(p).some((e) => e.value === '')),
    'PYTHONPATH valueFrom': count((p) => pythonPath(p).some((e) => e.valueFrom !== undefined)),
    'PYTHONPATH with $(X)': count((p) => pythonPath(p).some((e) => String(e.value).includes('$('))),
    'PYTHONPATH referenced later': count((p) => referencesLater(p, 'PYTHONPATH')),
    'another injector in PYTHONPATH': count((p) => pythonPath(p).some((e) => String(e.value).includes('otel-auto-instrumentation'))),
    'runtimes annotation': count((p) => ann(p)['otel-injector.io/runtimes'] !== undefined),
    'runtimes annotation unknown-only or blank': count((p) => ['ruby', ''].includes(ann(p)['otel-injector.io/runtimes'] ?? '-')),
    'OTEL_RESOURCE_ATTRIBUTES': count((p) => envOf(p).some((e) => e.name === 'OTEL_RESOURCE_ATTRIBUTES')),
    'other OTEL_*': count((p) => envOf(p).some((e) => e.name.startsWith('OTEL_') && e.name !== 'OTEL_RESOURCE_ATTRIBUTES')),
    'fieldRef': count((p) => envOf(p).some((e) => e.valueFrom?.fieldRef !== undefined)),
    'secretKeyRef': count((p) => envOf(p).some((e) => e.valueFrom?.secretKeyRef !== undefined)),
    'duplicate env names': count((p) => containersOf(p).some((c) => new Set((c.env ?? []).map((e: AnyPod) => e.name)).size < (c.env ?? []).length)),
    'a $(VAR) that expands': count(expandsReference),
    'envFrom': count((p) => p.spec.containers.some((c: AnyPod) => c.envFrom !== undefined)),
    'volume otel-auto-instrumentation': count((p) => (p.spec.volumes ?? []).some((v: AnyPod) => v.name === 'otel-auto-instrumentation')),
    'volume otel-injector': count((p) => (p.spec.volumes ?? []).some((v: AnyPod) => v.name === 'otel-injector')),
    'injector-like init container': count((p) => (p.spec.initContainers ?? []).some((c: AnyPod) => String(c.name).startsWith('otel'))),
    'resources': count((p) => containersOf(p).some((c) => c.resources !== undefined)),
    'restricted securityContext': count((p) => p.spec.securityContext?.runAsNonRoot === true),
    'inject=false': count((p) => ann(p)['otel-injector.io/inject'] === 'false'),
    'container-names': count((p) => ann(p)['otel-injector.io/container-names'] !== undefined),
    'service.name annotation': count((p) => ann(p)['resource.opentelemetry.io/service.name'] !== undefined),
    'owner ReplicaSet': count((p) => owner(p) === 'ReplicaSet'),
    'owner StatefulSet': count((p) => owner(p) === 'StatefulSet'),
    'owner Job': count((p) => owner(p) === 'Job'),
    'owner DaemonSet': count((p) => owner(p) === 'DaemonSet'),
    'no owner': count((p) => owner(p) === 'none'),
    'generateName only': count((p) => p.metadata.name === undefined && typeof p.metadata.generateName === 'string'),
    'metadata.namespace set': count((p) => typeof p.metadata.namespace === 'string'),
  };
  for (const [shape, n] of Object.entries(shapes)) t.ok(n >= 15, `${shape}: ${n}/1500`);
  t.ok(shapes['inject=false']! < 400, 'opt-out stays a minority');
});

t.test('AdmissionReviews wrap the pod as kube-apiserver sends it', async (t) => {
  fc.assert(fc.property(arbAdmissionReview(arbPod()), (review) => {
    const r = review as AnyPod;
    const req = r.request;
    const pod = req.object as Pod & AnyPod;
    const checks: [string, boolean][] = [
      ['envelope', r.apiVersion === 'admission.k8s.io/v1' && r.kind === 'AdmissionReview'],
      ['uid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(req.uid)],
      ['kind', req.kind.group === '' && req.kind.version === 'v1' && req.kind.kind === 'Pod'],
      ['resource', req.resource.resource === 'pods' && req.operation === 'CREATE'],
      ['namespace', typeof req.namespace === 'string' && req.namespace.length > 0],
      ['pod namespace', pod.metadata.namespace === undefined || pod.metadata.namespace === req.namespace],
      ['name', req.name === pod.metadata.name],
      ['dryRun', typeof req.dryRun === 'boolean'],
      ['valid pod', validatePod(pod).length === 0],
    ];
    const failed = checks.filter(([, ok]) => !ok).map(([name]) => name);
    if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')}`);
  }), { numRuns: 200 });
  const uids = new Set(fc.sample(arbAdmissionReview(), 100).map((r) => (r as AnyPod).request.uid));
  t.ok(uids.size > 95, 'uids vary');
  const restricted = fc.sample(arbAdmissionReview(arbPod({ restricted: true })), 50) as AnyPod[];
  t.ok(restricted.every((r) => restrictedViolations(r.request.object).length === 0), 'custom pod arbitrary is used');
});
