// fast-check arbitraries for random VALID pods of realistic shape, as a mutating
// webhook receives them at admission (often no metadata.name, only
// generateName), and for AdmissionReviews wrapping them. Every pod generated
// here passes validatePod; with `restricted: true` it also passes Pod Security
// restricted (see arbitraries.test.ts).
import fc from 'fast-check';
import { envArb, type EnvVar } from './arbitraries-env.js';
import { reviewOf } from './admission.js';
import { compareQuantity, parseQuantity } from './quantity.js';

export { envArb, valueFromArb, type EnvVar } from './arbitraries-env.js';

export type Pod = Record<string, unknown>;

export interface PodOptions {
  /** true: always a restricted-compliant securityContext and only restricted volume types. false: never. Default: sometimes. */
  readonly restricted?: boolean;
}

const CONTAINER_NAMES = ['app', 'api', 'worker', 'web', 'istio-proxy', 'sidecar', 'migrate', 'wait-for-db',
  'otel-injector', 'otel-injector-init', 'otel-auto-instrumentation', 'opentelemetry-auto-instrumentation-nodejs'];
const VOLUME_NAMES = ['otel-auto-instrumentation', 'otel-injector', 'data', 'config', 'tmp', 'cache', 'certs', 'kube-api-access-x7k2p'];
const IMAGES = ['node:20-alpine', 'ghcr.io/acme/api:1.2.3', 'busybox:1.36', `registry.example.com/team/worker@sha256:${'ab12'.repeat(16)}`];

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const containerName = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...CONTAINER_NAMES) }, { weight: 1, arbitrary: dnsLabel });
const volumeName = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...VOLUME_NAMES) }, { weight: 1, arbitrary: dnsLabel });

// ---- resources --------------------------------------------------------------------------

const cpuArb = fc.oneof(
  fc.integer({ min: 1, max: 4000 }).map((m) => `${m}m`),
  fc.integer({ min: 1, max: 40 }).map((t) => String(t / 10)),
  fc.integer({ min: 1, max: 4 }),
  fc.constantFrom('1', '2', '0.25', '500e-3'),
);
const memArb = fc.oneof(
  fc.integer({ min: 1, max: 4096 }).map((n) => `${n}Mi`),
  fc.integer({ min: 1, max: 4 }).map((n) => `${n}Gi`),
  fc.integer({ min: 1, max: 4000 }).map((n) => `${n}M`),
  fc.integer({ min: 16, max: 4096 }).map((n) => n * 1048576),
  fc.constantFrom('128974848', '129e6', '1e9', '64Mi', '1Gi'),
);

function ordered(a: string | number, b: string | number): [string | number, string | number] {
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  return qa !== undefined && qb !== undefined && compareQuantity(qa, qb) > 0 ? [b, a] : [a, b];
}

const pairArb = (q: fc.Arbitrary<string | number>): fc.Arbitrary<[string | number, string | number]> =>
  fc.tuple(q, q).map(([a, b]) => ordered(a, b));

export const resourcesArb: fc.Arbitrary<Record<string, unknown> | undefined> = fc.option(
  fc.tuple(pairArb(cpuArb), pairArb(memArb), fc.constantFrom('requests', 'limits', 'both', 'mixed')).map(([cpu, mem, shape]) => {
    const requests = { cpu: cpu[0], memory: mem[0] };
    const limits = { cpu: cpu[1], memory: mem[1] };
    if (shape === 'requests') return { requests };
    if (shape === 'limits') return { limits };
    if (shape === 'mixed') return { requests, limits: { memory: mem[1] } };
    return { requests, limits };
  }),
  { nil: undefined },
);

// ---- security ---------------------------------------------------------------------------

const restrictedPodSc = fc.record({
  runAsNonRoot: fc.constant(true),
  runAsUser: fc.integer({ min: 1000, max: 65534 }),
  runAsGroup: fc.integer({ min: 1000, max: 65534 }),
  fsGroup: fc.integer({ min: 1000, max: 65534 }),
  seccompProfile: fc.constant({ type: 'RuntimeDefault' }),
}, { requiredKeys: ['runAsNonRoot', 'seccompProfile'] });

const restrictedCtrSc = fc.record({
  allowPrivilegeEscalation: fc.constant(false),
  capabilities: fc.constantFrom({ drop: ['ALL'] }, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }),
  readOnlyRootFilesystem: fc.boolean(),
  runAsUser: fc.integer({ min: 1000, max: 65534 }),
  seccompProfile: fc.constantFrom({ type: 'RuntimeDefault' }, { type: 'Localhost', localhostProfile: 'profiles/node.json' }),
}, { requiredKeys: ['allowPrivilegeEscalation', 'capabilities'] });

const looseCtrSc = fc.option(fc.record({
  runAsUser: fc.integer({ min: 0, max: 2000 }),
  privileged: fc.boolean(),
  readOnlyRootFilesystem: fc.boolean(),
}, { requiredKeys: [] }), { nil: undefined });

// ---- volumes ----------------------------------------------------------------------------

const RESTRICTED_SOURCES = [
  { emptyDir: {} }, { emptyDir: { sizeLimit: '500Mi' } }, { emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
  { configMap: { name: 'app-config' } }, { secret: { secretName: 'tls' } }, { persistentVolumeClaim: { claimName: 'data' } },
  { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
  { projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } },
];
const ANY_SOURCES = [...RESTRICTED_SOURCES, { hostPath: { path: '/var/log' } }];

const volumesArb = (restricted: boolean): fc.Arbitrary<Record<string, unknown>[]> =>
  fc.uniqueArray(volumeName, { maxLength: 4 }).chain((names) =>
    fc.tuple(...names.map((name) => fc.constantFrom(...(restricted ? RESTRICTED_SOURCES : ANY_SOURCES)).map((src) => ({ name, ...src })))),
  );

function mountsFor(volumes: string[], picks: boolean[]): Record<string, unknown>[] {
  return volumes.filter((_, i) => picks[i] === true).map((name, i) => ({
    name, mountPath: `/mnt/${name}`, ...(i % 2 === 1 ? { readOnly: true } : {}),
  }));
}

// ---- containers -------------------------------------------------------------------------

interface CtrShape { env: EnvVar[]; resources: unknown; image: string; picks: boolean[]; sc: unknown; envFrom: boolean }

function containerArb(restricted: boolean): fc.Arbitrary<CtrShape> {
  return fc.record({
    env: envArb,
    resources: resourcesArb,
    image: fc.constantFrom(...IMAGES),
    picks: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    sc: restricted ? restrictedCtrSc : looseCtrSc,
    envFrom: fc.nat({ max: 4 }).map((n) => n === 0),
  });
}

function buildContainer(name: string, s: CtrShape, volumes: string[], init: boolean): Record<string, unknown> {
  const c: Record<string, unknown> = { name, image: s.image };
  if (init) c.command = ['sh', '-c', 'echo init'];
  else c.ports = [{ name: 'http', containerPort: 3000, protocol: 'TCP' }];
  if (s.env.length > 0) c.env = s.env;
  if (s.envFrom && !init) c.envFrom = [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }];
  const mounts = mountsFor(volumes, s.picks);
  if (mounts.length > 0) c.volumeMounts = mounts;
  if (s.resources !== undefined) c.resources = s.resources;
  if (s.sc !== undefined) c.securityContext = s.sc;
  return c;
}

// ---- metadata ---------------------------------------------------------------------------

interface Owner { kind: string; name: string; labels: Record<string, string>; generateName?: string; podName?: string }

const ownerArb: fc.Arbitrary<Owner | null> = fc.oneof(
  fc.tuple(dnsLabel, fc.stringMatching(/^[a-z0-9]{8,10}$/))
    .map(([dep, hash]) => ({ kind: 'ReplicaSet', name: `${dep}-${hash}`, labels: { 'pod-template-hash': hash }, generateName: `${dep}-${hash}-` })),
  fc.tuple(dnsLabel, fc.nat({ max: 5 })).map(([ss, n]) => ({ kind: 'StatefulSet', name: ss, labels: { 'statefulset.kubernetes.io/pod-name': `${ss}-${n}` }, podName: `${ss}-${n}` })),
  fc.tuple(dnsLabel, fc.boolean()).map(([job, cron]) => {
    const name = cron ? `${job}-${28911520 + job.length}` : job;
    return { kind: 'Job', name, labels: { 'job-name': name }, generateName: `${name}-` };
  }),
  dnsLabel.map((ds) => ({ kind: 'DaemonSet', name: ds, labels: {}, generateName: `${ds}-` })),
  fc.constant(null),
);

/** `arb` about once in `outOf` draws, otherwise undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, outOf: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: outOf - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const annotationsArb = (containers: string[]): fc.Arbitrary<Record<string, string>> =>
  fc.record({
    'otel-injector.io/inject': sometimes(fc.constantFrom('false', 'true'), 6),
    'otel-injector.io/container-names': sometimes(fc.subarray([...containers, 'not-a-container']).map((n) => n.join(',')), 4),
    'otel-injector.io/runtimes': sometimes(fc.constantFrom('python', 'node', 'node,python', ' python , node ', 'ruby', 'python,ruby', ''), 4),
    'resource.opentelemetry.io/service.name': sometimes(fc.constantFrom('checkout', 'billing-api'), 4),
    'otel-injector.io/service-name': sometimes(fc.constant('alias-name'), 5),
    'resource.opentelemetry.io/team': sometimes(fc.constant('payments'), 4),
    'kubectl.kubernetes.io/default-container': sometimes(fc.constant(containers[containers.length - 1] ?? 'app'), 3),
    'prometheus.io/scrape': sometimes(fc.constant('true'), 3),
  }).map((r) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
    return out;
  });

function buildMetadata(owner: Owner | null, uid: string, ns: string | null, annotations: Record<string, string>, appName: string): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    labels: { 'app.kubernetes.io/name': appName, app: appName, ...(owner?.labels ?? {}) },
  };
  if (owner === null) meta.name = `${appName}-pod`;
  else if (owner.podName !== undefined) meta.name = owner.podName;
  else meta.generateName = owner.generateName;
  if (owner !== null) {
    meta.ownerReferences = [{ apiVersion: owner.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: owner.kind, name: owner.name, uid, controller: true, blockOwnerDeletion: true }];
  }
  if (ns !== null) meta.namespace = ns;
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  return meta;
}

// ---- pod --------------------------------------------------------------------------------

const namespaceArb = fc.constantFrom('default', 'bakery-ia', 'payments', 'team-a');

function podFrom(restricted: boolean): fc.Arbitrary<Pod> {
  return fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 })).chain(([nInit, nCtr]) =>
    fc.tuple(fc.uniqueArray(containerName, { minLength: nInit + nCtr, maxLength: nInit + nCtr }), volumesArb(restricted)).chain(([names, volumes]) => {
      const ctrNames = names.slice(nInit);
      return fc.record({
        init: fc.tuple(...names.slice(0, nInit).map(() => containerArb(restricted))),
        main: fc.tuple(...ctrNames.map(() => containerArb(restricted))),
        owner: ownerArb, uid: fc.uuid(), ns: fc.option(namespaceArb, { freq: 2 }), app: dnsLabel,
        annotations: annotationsArb(ctrNames),
        podSc: restricted ? restrictedPodSc : fc.option(fc.record({ runAsUser: fc.nat({ max: 2000 }) }), { nil: undefined }),
        serviceAccountName: fc.option(fc.constantFrom('default', 'api-sa'), { nil: undefined }),
      }).map((r) => {
        const volNames = volumes.map((v) => String(v.name));
        const spec: Record<string, unknown> = {
          containers: r.main.map((s, i) => buildContainer(ctrNames[i] ?? 'app', s, volNames, false)),
          restartPolicy: r.owner?.kind === 'Job' ? 'OnFailure' : 'Always',
        };
        if (nInit > 0) spec.initContainers = r.init.map((s, i) => buildContainer(names[i] ?? 'init', s, volNames, true));
        if (volumes.length > 0) spec.volumes = volumes;
        if (r.podSc !== undefined) spec.securityContext = r.podSc;
        if (r.serviceAccountName !== undefined) spec.serviceAccountName = r.serviceAccountName;
        // structuredClone: constants (volume sources, fixed env lists) must not be shared between pods
        return structuredClone({ apiVersion: 'v1', kind: 'Pod', metadata: buildMetadata(r.owner, r.uid, r.ns, r.annotations, r.app), spec });
      });
    }),
  );
}

/** Random valid pods; see PodOptions for the securityContext. */
export function arbPod(opts: PodOptions = {}): fc.Arbitrary<Pod> {
  if (opts.restricted !== undefined) return podFrom(opts.restricted);
  return fc.boolean().chain((restricted) => podFrom(restricted));
}

/** An admission.k8s.io/v1 AdmissionReview for a Pod CREATE carrying a pod from `podArb`. */
export function arbAdmissionReview(podArb: fc.Arbitrary<Pod> = arbPod()): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ pod: podArb, uid: fc.uuid(), ns: namespaceArb, dryRun: fc.boolean() }).map(({ pod, uid, ns, dryRun }) => {
    const meta = (pod.metadata ?? {}) as Record<string, unknown>;
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : ns;
    const name = typeof meta.name === 'string' ? { name: meta.name } : {};
    return reviewOf(pod, { uid, namespace, dryRun, ...name }) as unknown as Record<string, unknown>;
  });
}
