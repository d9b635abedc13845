// preview on held fixtures: the pod as each controller creates it, the webhook's own admission path,
// the admitted pod judged field by field; bad input with its message and exit code.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastJsonPatch from 'fast-json-patch';
import { reviewAdmission } from '../../src/admission/review.js';
import { parseConfig } from '../../src/config/index.js';
import { repoRoot } from '../support/tools.js';
import { attributes, cli, cliProcess, envOf, fixture, yamlDocs, type Obj } from './helpers.js';

const CRONJOB_JOB = `nightly-report-${Math.floor(Date.parse('2026-11-26T08:00:00Z') / 60000)}`;

void t.test('the held AdmissionReview fixture: preview admits exactly what the webhook handler answers', async (t) => {
  const file = join(repoRoot, 'test', 'fixtures', 'deployment-pod-review.json');
  const review = JSON.parse(await readFile(file, 'utf8')) as Obj;
  const answer = reviewAdmission(review.request, parseConfig({}, '0.1.0').inject).review.response;
  const expected = fastJsonPatch.applyPatch(structuredClone(review.request.object), JSON.parse(Buffer.from(answer?.patch ?? '', 'base64').toString('utf8'))).newDocument;
  const ran = await cli(['preview', '-f', file, '-o', 'json']);
  t.equal(ran.code, 0, ran.stderr);
  const admitted = JSON.parse(ran.stdout) as Obj;
  t.same(admitted, expected, 'the admitted pod, field by field');
  t.equal(envOf(admitted, 'api', 'OTEL_SERVICE_NAME'), 'orders-api');
  t.equal(attributes(admitted, 'api')['k8s.namespace.name'], 'bakery-ia', 'namespace from request.namespace');
});

void t.test('every workload kind: owner and labels as the controllers set them, service.name the cluster would give', async (t) => {
  const ran = await cli(['preview', '-f', fixture('workloads.yaml'), '-n', 'shop', '-o', 'json']);
  t.equal(ran.code, 0, ran.stderr);
  const items = (JSON.parse(ran.stdout) as Obj).items as Obj[];
  t.equal(items.length, 6, 'every object is written back, the ConfigMap unchanged');
  t.same(items[5], { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } });
  const expect: Array<[number, string, string, Record<string, string>]> = [
    [0, 'api', 'orders-api', { 'k8s.namespace.name': 'bakery-ia', 'k8s.deployment.name': 'orders-api', 'service.version': '1.4.2' }],
    [1, 'ledger', 'ledger', { 'k8s.namespace.name': 'shop', 'k8s.statefulset.name': 'ledger' }],
    [2, 'agent', 'node-agent', { 'k8s.daemonset.name': 'node-agent' }],
    [3, 'migrate', 'migrate-db', { 'k8s.job.name': 'migrate-db' }],
    [4, 'report', 'nightly-report', { 'k8s.cronjob.name': 'nightly-report', 'k8s.job.name': CRONJOB_JOB }],
  ];
  for (const [index, container, service, attrs] of expect) {
    const item = items[index] as Obj;
    const template = item.kind === 'CronJob' ? item.spec.jobTemplate.spec.template : item.spec.template;
    t.equal(template.metadata.annotations['otel-injector.io/status'], 'injected: node,python', `${item.kind}: status annotation in the template`);
    t.equal(envOf(template, container, 'OTEL_SERVICE_NAME'), service, `${item.kind}: service.name ${service}`);
    t.match(attributes(template, container), attrs, `${item.kind}: resource attributes`);
    t.equal(template.spec.initContainers?.[0]?.name, 'otel-injector', `${item.kind}: preload init container`);
    t.notOk(template.metadata.ownerReferences, `${item.kind}: the controller's metadata is not written into the template`);
  }
  const rs = attributes(items[0]?.spec.template, 'api')['k8s.replicaset.name'] ?? '';
  t.match(rs, /^orders-api-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/, 'ReplicaSet name <deployment>-<pod-template-hash>');
});

void t.test('text output: decision, service name, attributes and a diff; a List; bypass; ignored kinds', async (t) => {
  const ran = await cli(['preview', '-f', fixture('workloads.yaml'), '-f', fixture('list.json')]);
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stdout, /^Deployment bakery-ia\/orders-api {2}\(pod orders-api-\w+-xxxxx; .*workloads\.yaml#1\)$/m);
  t.match(ran.stdout, /decision: injected \(all selected containers\)/);
  t.match(ran.stdout, /container api: service\.name=orders-api/);
  t.match(ran.stdout, /^ {6}k8s\.deployment\.name=orders-api$/m);
  t.match(ran.stdout, /^ {2}\+ {8}- name: NODE_OPTIONS$/m, 'the diff adds NODE_OPTIONS');
  t.match(ran.stdout, /^Job default\/migrate-db/m, 'no namespace and no -n: default');
  t.match(ran.stdout, /^ReplicaSet default\/legacy-rs .*\n {2}decision: bypassed \(annotation otel-injector.io\/inject=false\)\n {2}no change$/m);
  t.match(ran.stdout, /container shell: service\.name=debugger/, 'the service-name annotation of a bare pod');
  t.match(ran.stdout, /^ignored: ConfigMap settings \(.*workloads\.yaml#6\): not a workload with a pod template$/m);
  t.match(ran.stdout, /^7 workloads: 6 injected, 0 skipped, 1 bypassed, 0 not-sent, 0 error; 1 ignored$/m);
});

void t.test('the diff shows a changed line as removed then added, in a hunk with its line numbers', async (t) => {
  const ran = await cli(['preview', '-f', fixture('orders-api.yaml')]);
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stdout, /^ {2}@@ -4,12 \+4,\d+ @@\n/m);
  t.match(ran.stdout, /^ {2}- {10}value: --max-old-space-size=256\n {2}\+ {10}value: --max-old-space-size=256 --require \/otel-injector\/node\/register\.cjs\n/m);
  t.match(ran.stdout, /^ {7}- name: proxy\n {9}image: envoyproxy\/envoy:v1\.31\.0\n/m, 'the sidecar is unchanged context');
  t.notMatch(ran.stdout, /container proxy:/, 'and gets no service.name');
});

void t.test('-o patch is the JSON Patch of the webhook answer; applying it gives the -o json pod', async (t) => {
  const patchRun = await cli(['preview', '-f', fixture('list.json'), '-o', 'patch']);
  const jsonRun = await cli(['preview', '-f', fixture('list.json'), '-o', 'json']);
  const patches = JSON.parse(patchRun.stdout) as Obj[];
  t.same(patches.map((p) => [p.kind, p.name, p.decision]), [['ReplicaSet', 'legacy-rs', 'bypassed'], ['Pod', 'debug', 'injected']]);
  t.same(patches[0]?.patch, [], 'bypassed: empty patch');
  const pod = (JSON.parse((await readFile(fixture('list.json'), 'utf8'))) as Obj).items[1];
  pod.metadata.namespace = 'default';
  const applied = fastJsonPatch.applyPatch(pod, patches[1]?.patch).newDocument;
  t.same(applied, (JSON.parse(jsonRun.stdout) as Obj).items[1], 'same pod');
});

void t.test('configuration from the environment and from chart values; --fail-on', async (t) => {
  const env = await cli(['preview', '-f', fixture('workloads.yaml'), '-o', 'json'], { env: { INJECT_PAYLOAD_IMAGE: 'registry.example.com/preload:9', LOG_LEVEL: 'LOUD' } });
  t.equal(env.code, 0, 'a shell LOG_LEVEL that is not the webhook\'s does not matter');
  t.equal((JSON.parse(env.stdout) as Obj).items[0].spec.template.spec.initContainers[0].image, 'registry.example.com/preload:9');
  const values = await cli(['preview', '-f', fixture('workloads.yaml'), '--values', fixture('values-skip-jobs.yaml'), '--fail-on', 'skipped'], { env: { INJECT_PAYLOAD_IMAGE: 'ignored:1' } });
  t.equal(values.code, 1, '--fail-on skipped: exit 1');
  t.match(values.stdout, /^Job default\/migrate-db .*\n {2}decision: skipped \(owner kind Job is skipped by configuration\)/m);
  t.match(values.stdout, /^CronJob default\/nightly-report .*\n {2}decision: skipped \(owner kind Job is skipped by configuration\)/m, 'a CronJob\'s pod is owned by a Job');
  t.match(values.stdout, /image: registry\.example\.com\/mirror\/preload:0\.1\.0/, 'preload image from the values, tag the app version');
  t.match(values.stderr, /^otel-injector: --fail-on skipped: 2 matched: Job default\/migrate-db \(skipped: owner kind Job is skipped by configuration\); CronJob default\/nightly-report/);
  const bad = await cli(['preview', '-f', fixture('workloads.yaml')], { env: { INJECT_VOLUME_SIZE_LIMIT: 'lots' } });
  t.equal(bad.code, 3);
  t.equal(bad.stderr, 'otel-injector: invalid configuration (environment): INJECT_VOLUME_SIZE_LIMIT: "lots" is not a Kubernetes quantity\n');
});

void t.test('forced env (inject.overrideEnv) shows in the diff and in the status annotation', async (t) => {
  const ran = await cli(['preview', '-f', fixture('orders-api.yaml'), '--values', fixture('values-migration.yaml')]);
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stdout, /otel-injector\.io\/status: injected: node,python; env forced: ENABLE_TRACING/, 'the status the pod would carry');
  t.match(ran.stdout, /ENABLE_TRACING/, 'the variable appears in the diff');
  const json = await cli(['preview', '-f', fixture('orders-api.yaml'), '--values', fixture('values-migration.yaml'), '-o', 'json']);
  const doc = JSON.parse(json.stdout) as Obj;
  const item = (doc.items?.[0] ?? doc) as Obj;
  const env = (item.spec.template.spec.containers[0].env as Obj[]).filter((e) => e.name === 'ENABLE_TRACING');
  t.same(env, [{ name: 'ENABLE_TRACING', value: 'false' }], 'one entry, the forced value');
});

void t.test('standard input', async (t) => {
  const text = await readFile(fixture('workloads.yaml'), 'utf8');
  const ran = await cli(['preview', '-f', '-', '-o', 'yaml'], { stdin: text });
  t.equal(ran.code, 0);
  const docs = yamlDocs(ran.stdout);
  t.equal(docs.length, 6);
  t.equal(docs[0]?.spec.template.metadata.annotations['otel-injector.io/status'], 'injected: node,python');
});

void t.test('bad input: message and exit code, never a stack trace', async (t) => {
  const cases: Array<[string[], number, RegExp]> = [
    [['preview', '-f', 'nope.yaml'], 3, /^otel-injector: cannot read nope\.yaml: no such file\n$/],
    [['preview', '-f', fixture('broken.yaml')], 3, /^otel-injector: .*broken\.yaml:6:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a \]\n$/],
    [['preview', '-f', 'test'], 3, /^otel-injector: cannot read test: is a directory\n$/],
    [['preview'], 2, /^otel-injector: preview: -f FILE is required/],
    [['preview', '-f', fixture('list.json'), '-o', 'xml'], 2, /^otel-injector: -o xml: expected one of text, yaml, json, patch\n$/],
    [['preview', '-f', fixture('list.json'), '--fail-on', 'sometimes'], 2, /--fail-on sometimes: expected a comma list/],
    [['preview', '--frobnicate'], 2, /^otel-injector: preview: Unknown option '--frobnicate'/],
    [['explain'], 2, /^otel-injector: unknown command "explain"/],
    [['preview', '-f', fixture('list.json'), '--values', fixture('broken.yaml')], 3, /broken\.yaml:6:1: YAML syntax error/],
  ];
  for (const [argv, code, message] of cases) {
    const ran = await cli(argv);
    t.equal(ran.code, code, `${argv.join(' ')}: exit ${code}`);
    t.match(ran.stderr, message, argv.join(' '));
    t.notMatch(ran.stderr, /\n\s+at /, 'no stack trace');
  }
  const empty = await cli(['preview', '-f', '-'], { stdin: '# nothing\n' });
  t.equal(empty.code, 3);
  t.match(empty.stderr, /no Kubernetes objects in -/);
});

void t.test('the built executable: shebang, --help, exit codes through a real process', async (t) => {
  const help = await cliProcess(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /otel-injector preview -f FILE/);
  const missing = await cliProcess(['preview', '-f', '/nonexistent/x.yaml']);
  t.equal(missing.code, 3);
  t.equal(missing.stderr, 'otel-injector: cannot read /nonexistent/x.yaml: no such file\n');
  const piped = await cliProcess(['preview', '-f', '-', '-o', 'patch'], {}, await readFile(fixture('list.json'), 'utf8'));
  t.equal(piped.code, 0, piped.stderr);
  t.equal((JSON.parse(piped.stdout) as Obj[]).length, 2);
});
