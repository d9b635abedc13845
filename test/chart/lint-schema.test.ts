// helm lint --strict, values.schema.json rejections and NOTES.txt, with the real Helm 3 and Helm 4.
import t from 'tap';
import { chartDir, FULLNAME, helm, HELM_MAJORS, NAMESPACE, RELEASE, template, type Obj } from './lib/render.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

const LINT_CASES: Record<string, string[]> = {
  defaults: [],
  'cert-manager': ['--set', 'certificates.mode=cert-manager'],
  secret: ['--set', 'certificates.mode=secret', '--set', 'certificates.secret.name=my-tls', '--set-string', `certificates.secret.caBundle=${Buffer.from(PEM).toString('base64')}`],
  'fail-closed': ['--set', 'webhook.failurePolicy=Fail', '--set', 'webhook.timeoutSeconds=10'],
  'controller restart, dry run': ['--set', 'controller.mode=restart', '--set', 'controller.dryRun=true'],
  'controller off': ['--set', 'controller.mode=off'],
};

// value -> a fragment of the offending key that helm must name in its error
const REJECTED: [string, Obj, string][] = [
  ['unknown top-level key', { replicas: 3 }, 'replicas'],
  ['unknown nested key', { webhook: { failurepolicy: 'Fail' } }, 'failurepolicy'],
  ['timeoutSeconds above 10', { webhook: { timeoutSeconds: 30 } }, 'timeoutSeconds'],
  ['timeoutSeconds as a string', { webhook: { timeoutSeconds: '5' } }, 'timeoutSeconds'],
  ['replicaCount as a string', { replicaCount: 'two' }, 'replicaCount'],
  ['failurePolicy outside the enum', { webhook: { failurePolicy: 'Sometimes' } }, 'failurePolicy'],
  ['certificate mode outside the enum', { certificates: { mode: 'vault' } }, 'mode'],
  ['extra env value not a string', { inject: { extraEnv: { ENABLE_TRACING: true } } }, 'ENABLE_TRACING'],
  ['forced env value not a string', { inject: { overrideEnv: { ENABLE_TRACING: false } } }, 'ENABLE_TRACING'],
  ['forcing the runtime variable', { inject: { overrideEnv: { PYTHONPATH: '/x' } } }, 'PYTHONPATH'],
  ['skipOwnerKinds not a list', { inject: { skipOwnerKinds: 'Job' } }, 'skipOwnerKinds'],
  ['unknown runtime', { inject: { runtimes: ['node', 'ruby'] } }, 'runtimes'],
  ['no runtime', { inject: { runtimes: [] } }, 'runtimes'],
  ['runtimes as a comma string', { inject: { runtimes: 'node,python' } }, 'runtimes'],
  ['log level outside the enum', { logLevel: 'verbose' }, 'logLevel'],
  ['init container as root', { payload: { runAsUser: 0 } }, 'runAsUser'],
  ['negative drain', { shutdownDrainSeconds: -1 }, 'shutdownDrainSeconds'],
  ['OTLP endpoint without scheme', { inject: { otlpEndpoint: 'collector:4318' } }, 'otlpEndpoint'],
  ['init resources without a limit', { payload: { resources: { limits: { cpu: null } } } }, 'cpu'],
  ['useWellKnownLabels as a string', { inject: { useWellKnownLabels: 'yes' } }, 'useWellKnownLabels'],
  ['controller mode outside the enum', { controller: { mode: 'fix' } }, 'mode'],
  ['controller mode true', { controller: { mode: true } }, 'mode'],
  ['controller maxConcurrent 0', { controller: { maxConcurrent: 0 } }, 'maxConcurrent'],
  ['controller maxConcurrent as a string', { controller: { maxConcurrent: '2' } }, 'maxConcurrent'],
  ['controller negative minIntervalSeconds', { controller: { minIntervalSeconds: -1 } }, 'minIntervalSeconds'],
  ['controller rolloutTimeoutSeconds below 5', { controller: { rolloutTimeoutSeconds: 1 } }, 'rolloutTimeoutSeconds'],
  ['controller leaseDurationSeconds below 3', { controller: { leaseDurationSeconds: 2 } }, 'leaseDurationSeconds'],
  ['controller dryRun as a string', { controller: { dryRun: 'yes' } }, 'dryRun'],
  ['controller replicas 0', { controller: { replicas: 0 } }, 'replicas'],
  ['unknown controller key', { controller: { maxConcurent: 2 } }, 'maxConcurent'],
];

for (const major of HELM_MAJORS) {
  void t.test(`Helm ${major}: helm lint --strict`, async (t) => {
    for (const [name, args] of Object.entries(LINT_CASES)) {
      const r = await helm(major, ['lint', '--strict', chartDir, '--namespace', NAMESPACE, ...args]);
      t.equal(r.code, 0, `${name}: lint passes\n${r.stdout}${r.stderr}`);
      t.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
    const bad = await helm(major, ['lint', '--strict', chartDir, '--set', 'webhook.timeoutSeconds=30']);
    t.not(bad.code, 0, 'lint fails on a value the schema rejects');
  });

  void t.test(`Helm ${major}: the schema rejects bad values with a message`, async (t) => {
    for (const [name, values, key] of REJECTED) {
      const r = await template(major, values);
      t.not(r.code, 0, `${name}: rejected`);
      t.match(r.stderr, /schema/i, `${name}: a schema error`);
      t.ok(r.stderr.includes(key), `${name}: the error names ${key}\n${r.stderr}`);
      t.equal(r.stdout.includes('kind: Deployment'), false, `${name}: nothing rendered`);
    }
  });

  void t.test(`Helm ${major}: required values of a mode fail with a message`, async (t) => {
    const noName = await template(major, { certificates: { mode: 'secret', secret: { caBundle: PEM } } });
    t.not(noName.code, 0);
    t.match(noName.stderr, /certificates\.secret\.name is required/);
    const noCa = await template(major, { certificates: { mode: 'secret', secret: { name: 'my-tls' } } });
    t.not(noCa.code, 0);
    t.match(noCa.stderr, /certificates\.secret\.caBundle is required/);
  });
}

// Helm 3 cannot run `install --dry-run` without a reachable cluster, and `helm template` prints no NOTES,
// so NOTES.txt is rendered with Helm 4's client-only dry run.
void t.test('Helm 4: NOTES.txt prints the label command and how to check a pod', async (t) => {
  const r = await helm(4, ['install', RELEASE, chartDir, '--namespace', NAMESPACE, '--dry-run=client',
    '--set', 'namespaceSelector.labelKey=example.com/otel', '--set', 'namespaceSelector.labelValue=on']);
  t.equal(r.code, 0, r.stderr);
  const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
  t.ok(notes.includes('kubectl label namespace <your-namespace> example.com/otel=on'), 'exact label command');
  t.ok(notes.includes(`kubectl -n ${NAMESPACE} rollout status deployment/${FULLNAME}`), 'how to wait for the webhook');
  t.ok(notes.includes("jsonpath='{.metadata.annotations.otel-injector\\.io/status}"), 'how to check a pod');
  t.ok(notes.includes(`helm test ${RELEASE} -n ${NAMESPACE}`), 'how to run the test hook');
  t.ok(notes.includes('instrumented for the runtimes named (node,python\n   are configured'), 'the configured runtimes');
  t.ok(notes.includes('\nController: report (pods the webhook never handled get an Event "Uninstrumented"'), 'the controller mode, report by default');
  t.ok(notes.includes('kubectl -n <your-namespace> rollout restart deployment'), 'report: restarting is left to the user');
  const pythonOnly = await helm(4, ['install', RELEASE, chartDir, '--namespace', NAMESPACE, '--dry-run=client', '--set', 'inject.runtimes={python}']);
  t.equal(pythonOnly.code, 0, pythonOnly.stderr);
  t.ok(pythonOnly.stdout.includes('runtimes named (python\n'), 'follows inject.runtimes');
});

void t.test('Helm 4: NOTES.txt names the controller mode and what it means for step 3', async (t) => {
  const notes = async (...set: string[]): Promise<string> => {
    const r = await helm(4, ['install', RELEASE, chartDir, '--namespace', NAMESPACE, '--dry-run=client', ...set.flatMap((s) => ['--set', s])]);
    t.equal(r.code, 0, r.stderr);
    return r.stdout.slice(r.stdout.indexOf('NOTES:'));
  };
  const restart = await notes('controller.mode=restart', 'controller.maxConcurrent=2');
  t.ok(restart.includes('\nController: restart (workloads whose pods the webhook never handled are rolled, 2 at a time)'));
  t.ok(restart.includes('The controller restarts the workloads there for you, at most 2 rolling at a time'));
  t.notOk(restart.includes('rollout restart deployment'), 'restart: no manual restart asked for');
  const dry = await notes('controller.mode=restart', 'controller.dryRun=true');
  t.ok(dry.includes('\nController: restart with dryRun (logs which workloads it would restart; patches nothing)'));
  t.ok(dry.includes('rollout restart deployment'), 'dryRun: the user still restarts');
  const off = await notes('controller.mode=off');
  t.ok(off.includes('\nController: off ('));
  t.notOk(off.includes('reason=Uninstrumented'), 'off: no Events to look for');
});
