// fast-check arbitraries for container env lists of realistic shape: literals,
// $(VAR) references to earlier variables (and to undefined ones), $$ escapes,
// valueFrom (fieldRef, secretKeyRef, configMapKeyRef, resourceFieldRef),
// user NODE_OPTIONS and PYTHONPATH in every form (literal, empty, valueFrom,
// built from $(VAR), referenced later as $(NODE_OPTIONS)/$(PYTHONPATH), another
// injector's), OTEL_* variables and OTEL_RESOURCE_ATTRIBUTES with user keys.
import fc from 'fast-check';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

const NAMES = [
  'PORT', 'NODE_ENV', 'LOG_LEVEL', 'DB_HOST', 'DB_PASSWORD', 'API_KEY', 'POD_NAME', 'POD_NAMESPACE', 'NODE_NAME',
  'HOST_IP', 'A', 'B', 'C', 'my.app-setting', '_PRIVATE', 'ENABLE_TRACING', 'SERVICE_NAME', 'BASE_NODE_OPTIONS',
  'OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER', 'OTEL_PROPAGATORS', 'OTEL_SDK_DISABLED',
  // valid only under the relaxed rule (GA since 1.34)
  '1ST_VAR', 'with space',
  // names injectors define for themselves (this one's and the OpenTelemetry Operator's)
  'OTEL_INJECTOR_POD_NAME', 'OTEL_INJECTOR_NODE_NAME', 'OTEL_RESOURCE_ATTRIBUTES_POD_NAME', 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME',
];

/** References to variables the user never defines but an injector might: they must stay literal. */
const UNDEFINED_TARGETS = ['NOT_DEFINED_YET', 'OTEL_INJECTOR_POD_NAME', 'OTEL_INJECTOR_POD_UID', 'OTEL_RESOURCE_ATTRIBUTES_POD_NAME',
  'OTEL_SERVICE_NAME', 'NODE_OPTIONS', 'OTEL_RESOURCE_ATTRIBUTES', 'PYTHONPATH'];

const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/) },
);

const literalArb = fc.oneof(
  fc.constantFrom('3000', 'production', 'debug', 'db.internal:5432', 'http://collector:4318', '--max-old-space-size=512',
    'price is $5', 'a=b,c=d', '$$(NOT_EXPANDED)', '$(UNDEFINED_VAR)', '$(', 'tail$', 'x $ y', ''),
  fc.string({ maxLength: 24 }),
);

const FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'status.podIP',
  'status.hostIP', 'spec.serviceAccountName', "metadata.labels['app']", "metadata.annotations['team']"];

export const valueFromArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ fieldRef: fc.record({ fieldPath: fc.constantFrom(...FIELD_PATHS), apiVersion: fc.constant('v1') }, { requiredKeys: ['fieldPath'] }) }),
  fc.record({ secretKeyRef: fc.record({ name: fc.constantFrom('db', 'api-keys'), key: fc.constantFrom('password', 'token', 'node.options'), optional: fc.boolean() }, { requiredKeys: ['name', 'key'] }) }),
  fc.record({ configMapKeyRef: fc.record({ name: fc.constantFrom('app-config', 'node-flags'), key: fc.constantFrom('NODE_OPTIONS', 'level', 'endpoint') }) }),
  fc.record({ resourceFieldRef: fc.record({ resource: fc.constantFrom('limits.memory', 'requests.cpu'), divisor: fc.constantFrom('1', '1Mi', '1m') }, { requiredKeys: ['resource'] }) }),
);

type Spec = { name: string; kind: 'literal' | 'ref' | 'from'; literal: string; pick: number; from: Record<string, unknown> };

const specArb: fc.Arbitrary<Spec> = fc.record({
  name: nameArb,
  kind: fc.constantFrom<Spec['kind']>('literal', 'literal', 'ref', 'from'),
  literal: literalArb,
  pick: fc.nat(),
  from: valueFromArb,
});

/** A reference to an earlier variable (or to one never defined), with literal text around it. */
function refValue(earlier: string[], s: Spec): string {
  const undefinedTarget = UNDEFINED_TARGETS[s.pick % UNDEFINED_TARGETS.length] ?? 'NOT_DEFINED_YET';
  const target = earlier.length === 0 || s.pick % 5 === 0 ? undefinedTarget : (earlier[s.pick % earlier.length] ?? 'A');
  const shapes = [`$(${target})`, `${s.literal}$(${target})`, `$(${target}),x=$$(${target})`, `$(${target}) --flag`];
  return shapes[s.pick % shapes.length] ?? `$(${target})`;
}

function toEnv(specs: Spec[]): EnvVar[] {
  const out: EnvVar[] = [];
  for (const s of specs) {
    const earlier = out.map((e) => e.name);
    if (s.kind === 'from') out.push({ name: s.name, valueFrom: s.from });
    else if (s.kind === 'ref') out.push({ name: s.name, value: refValue(earlier, s) });
    else out.push({ name: s.name, value: s.literal });
  }
  return out;
}

const fixed = (env: EnvVar[]): fc.Arbitrary<EnvVar[]> => fc.constant(env);

const nodeOptionsArb: fc.Arbitrary<EnvVar[]> = fc.oneof(
  fc.constantFrom('--max-old-space-size=384', '--enable-source-maps --max-old-space-size=1024', '--require ./tracing.js', '')
    .map((value): EnvVar[] => [{ name: 'NODE_OPTIONS', value }]),
  fixed([{ name: 'NODE_OPTIONS', valueFrom: { configMapKeyRef: { name: 'node-flags', key: 'NODE_OPTIONS' } } }]),
  fixed([{ name: 'NODE_OPTIONS', valueFrom: { secretKeyRef: { name: 'api-keys', key: 'node.options' } } }]),
  fixed([
    { name: 'BASE_NODE_OPTIONS', valueFrom: { configMapKeyRef: { name: 'node-flags', key: 'NODE_OPTIONS' } } },
    { name: 'NODE_OPTIONS', value: '$(BASE_NODE_OPTIONS) --enable-source-maps' },
  ]),
  fixed([{ name: 'NODE_OPTIONS', value: '$(HEAP_FLAGS) --trace-warnings' }]),
);

const pythonPathArb: fc.Arbitrary<EnvVar[]> = fc.oneof(
  // '' is no PYTHONPATH at all for Python; ' ' and a trailing ':' are entries of their own (a directory, the cwd)
  fc.constantFrom('/app/src', '/app/src:/app/lib', '/srv/app:', ':/srv/app', '', ' ', '/opt/venv/lib/python3.12/site-packages')
    .map((value): EnvVar[] => [{ name: 'PYTHONPATH', value }]),
  fixed([{ name: 'PYTHONPATH', valueFrom: { configMapKeyRef: { name: 'py', key: 'PYTHONPATH', optional: true } } }]),
  fixed([
    { name: 'BASE_PYTHONPATH', valueFrom: { configMapKeyRef: { name: 'py', key: 'PYTHONPATH' } } },
    { name: 'PYTHONPATH', value: '$(BASE_PYTHONPATH):/app/extra' },
  ]),
  fixed([{ name: 'PYTHONPATH', value: '/app/src' }, { name: 'TOOL_PATH', value: '$(PYTHONPATH):/tools' }]),
  fixed([{ name: 'PYTHONPATH', value: '$(PY_EXTRA):/app' }]),
  // the OpenTelemetry Operator's Python injection
  fixed([{ name: 'PYTHONPATH', value: '/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/otel-auto-instrumentation-python' }]),
);

const otelArb: fc.Arbitrary<EnvVar[]> = fc.oneof(
  fixed([{ name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'team=payments,deployment.environment=prod' }]),
  fixed([{ name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'k8s.pod.name=custom,service.name=my-svc' }]),
  fixed([
    { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'k8s.pod.name=$(MY_POD),service.version=1.2.3' },
  ]),
  fixed([{ name: 'OTEL_SERVICE_NAME', value: 'user-chosen-name' }]),
  fixed([{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', valueFrom: { secretKeyRef: { name: 'otel', key: 'endpoint' } } }]),
  fixed([{ name: 'OTEL_TRACES_EXPORTER', value: 'none' }, { name: 'OTEL_PROPAGATORS', value: 'b3' }]),
);

function insertAt(base: EnvVar[], extra: EnvVar[] | null, at: number): EnvVar[] {
  if (extra === null) return base;
  const i = at % (base.length + 1);
  return [...base.slice(0, i), ...extra, ...base.slice(i)];
}

/** A valid env list (possibly empty, possibly with duplicate names, which the apiserver accepts). */
export const envArb: fc.Arbitrary<EnvVar[]> = fc
  .tuple(
    fc.array(specArb, { maxLength: 8 }),
    fc.option(nodeOptionsArb, { freq: 3 }),
    fc.option(otelArb, { freq: 3 }),
    fc.option(pythonPathArb, { freq: 3 }),
    fc.nat(),
    fc.nat(),
    fc.nat(),
  )
  .map(([specs, nodeOptions, otel, pythonPath, i, j, k]) =>
    insertAt(insertAt(insertAt(toEnv(specs), nodeOptions, i), otel, j), pythonPath, k));
