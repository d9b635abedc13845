// The controller at cluster scale (issue 23), against a real kube-apiserver + etcd (test/e2e harness):
// real-shaped pods (three containers, env, probes, volumes, managed fields, a kubelet-like status) in
// NAMESPACES opted-in namespaces, owned by ReplicaSets of 20 pods, at each of POINTS pod counts. At each
// point a fresh controller (`node dist/main.js controller`, report mode, the chart's ServiceAccount and
// RBAC) is measured: time to its first report, resident memory and V8 heap after a full GC, CPU per second
// at rest, API requests per minute at rest (the API server's audit log, by the controller's user), then a
// rollout of ROLLOUT_PODS pods (new pods created and status-written, the old ones deleted) with its CPU
// per second; the same for the baseline (bench/lib/informer-baseline.mjs: client-node informers, the cache
// the controller had before) up to BASELINE_MAX pods. The controller's reported workload count is checked
// against what the bench created. Nothing is asserted; the goal (<= 1 KB per pod) is reported met or missed.
// Env: POINTS (0,10000,50000), NAMESPACES (10), PARALLEL (32), REST_SECONDS (60), ROLLOUT_PODS (1000), BASELINE_MAX (10000).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import { startControlPlane, repoRoot } from '../test/e2e/harness.js';
import { INJECT_LABEL, createNamespace } from '../test/e2e/kube.js';
import { chartControllerKubeconfig } from '../test/e2e/controller-support.js';
import { parseManifests, renderChart } from '../test/e2e/chart.js';
import { freePort, startProc, type Proc } from '../test/e2e/procs.js';
import { PRELOAD, RawApi, bounded, createRunningPod, podBody, randomUUID, stateOf } from './lib/cluster-pods.js';

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const POINTS = (process.env.POINTS ?? '0,10000,50000').split(',').map(Number);
const NAMESPACES = num('NAMESPACES', 10);
const PARALLEL = num('PARALLEL', 32);
const REST_SECONDS = num('REST_SECONDS', 60);
const ROLLOUT_PODS = num('ROLLOUT_PODS', 1000);
const BASELINE_MAX = num('BASELINE_MAX', 10000);
const PER_DEPLOYMENT = 20;
const TICKS = 100; // clock ticks per second in /proc/<pid>/stat

interface Deploy { ns: string; name: string; hash: string; uid: string; state: ReturnType<typeof stateOf> }
interface Result {
  who: 'ours' | 'baseline'; pods: number; firstMs?: number; rss?: number; heap?: number; restCpu?: number; perMin?: number;
  requests?: string; rolloutCpu?: number; rolloutS?: number; workloads?: number; expected?: number; note?: string;
}

const teardowns: Array<() => Promise<void> | void> = [];
const host = { teardown: (fn: () => Promise<void> | void): void => { teardowns.push(fn); } };
const results: Result[] = [];
const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1));

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

async function memory(proc: Proc, file: string): Promise<{ rss: number; heapUsed: number }> {
  await rm(file, { force: true });
  process.kill(proc.child.pid ?? 0, 'SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(100);
  await sleep(100);
  return JSON.parse(await readFile(file, 'utf8')) as { rss: number; heapUsed: number };
}

/** Audit events of service-account users received in [fromMs, toMs): distinct requests, by verb and resource. */
async function auditRequests(log: string, fromMs: number, toMs: number): Promise<{ count: number; by: string }> {
  const seen = new Map<string, string>();
  const text = await readFile(log, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as { auditID: string; verb: string; requestReceivedTimestamp: string; objectRef?: { resource?: string } };
    const at = Date.parse(e.requestReceivedTimestamp);
    if (at >= fromMs && at < toMs) seen.set(e.auditID, `${e.verb} ${e.objectRef?.resource ?? '?'}`);
  }
  const by = new Map<string, number>();
  for (const v of seen.values()) by.set(v, (by.get(v) ?? 0) + 1);
  return { count: seen.size, by: [...by.entries()].map(([k, n]) => `${k} ${n}`).join(', ') };
}

function logLines(proc: Proc): Array<Record<string, unknown>> {
  return proc.tail(1_000_000).split('\n').flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } });
}

const lastSummary = (proc: Proc): number | undefined => {
  const s = logLines(proc).filter((l) => l.condition !== undefined).at(-1) as { workloads?: unknown[] } | undefined;
  return s?.workloads?.length;
};

try {
  const dir = await mkdtemp(join(tmpdir(), 'otel-bench-ctl-'));
  teardowns.push(() => rm(dir, { recursive: true, force: true }));
  const auditLog = join(dir, 'audit.log');
  await writeFile(join(dir, 'audit.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: ["RequestReceived"]\nrules:\n- level: Metadata\n  userGroups: ["system:serviceaccounts"]\n- level: None\n');
  const cp = await startControlPlane(host, { extraApiserverArgs: [`--audit-policy-file=${join(dir, 'audit.yaml')}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json', '--etcd-compaction-interval=1m'] });
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await createNamespace(core, 'otel-injector');
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`);
  for (const ns of namespaces) await createNamespace(core, ns, { [INJECT_LABEL]: 'enabled' });
  const kubeconfig = await chartControllerKubeconfig(cp);
  // The controller runs with the NODE_OPTIONS the chart gives its container (plus the bench's GC hook).
  type Container = { name: string; env?: Array<{ name: string; value?: string }> };
  const deployment = parseManifests(await renderChart()).find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-controller')) as { spec?: { template?: { spec?: { containers?: Container[] } } } } | undefined;
  const chartNodeOptions = deployment?.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
  console.log(`controller NODE_OPTIONS from the chart: "${chartNodeOptions}"`);
  const api = new RawApi(cp, PARALLEL);
  teardowns.push(() => api.close());
  const deploys: Deploy[] = [];
  const deploy = (d: number): Deploy => {
    deploys[d] ??= { ns: namespaces[d % NAMESPACES] ?? '', name: `svc-${d}`, hash: randomBytes(5).toString('hex').slice(0, 9), uid: randomUUID(), state: stateOf(d) };
    return deploys[d];
  };
  let total = 0;
  const expected = (): number => deploys.filter((d) => d.state !== 'injected').length;

  const populate = async (target: number): Promise<void> => {
    const from = total;
    const t0 = performance.now();
    await bounded(target - from, PARALLEL, async (i) => {
      const n = from + i;
      const d = deploy(Math.floor(n / PER_DEPLOYMENT));
      await createRunningPod(api, d.ns, podBody(d.name, d.hash, d.uid, n % PER_DEPLOYMENT, d.state) as { metadata: { name: string } });
    });
    total = target;
    const s = (performance.now() - t0) / 1000;
    if (target > from) console.log(`created ${target - from} pods (create + status write each, ${PARALLEL} in parallel) in ${s.toFixed(1)} s: ${((target - from) / s).toFixed(0)} pods/s; ${total} in all`);
  };

  /** A Deployment rollout as the API sees it: 20 new pods per Deployment (new hash, injected), the old ones deleted. */
  const rollout = async (count: number): Promise<void> => {
    const chosen = deploys.filter((d) => d.state === 'not-seen').slice(0, Math.ceil(count / PER_DEPLOYMENT));
    await bounded(chosen.length * PER_DEPLOYMENT, PARALLEL, async (i) => {
      const d = chosen[Math.floor(i / PER_DEPLOYMENT)] as Deploy;
      const k = i % PER_DEPLOYMENT;
      const hash = `${d.hash.slice(0, 8)}z`;
      await createRunningPod(api, d.ns, podBody(d.name, hash, d.uid, k, 'injected') as { metadata: { name: string } });
      const old = (podBody(d.name, d.hash, d.uid, k, d.state) as { metadata: { name: string } }).metadata.name;
      const code = await api.send('DELETE', `/api/v1/namespaces/${d.ns}/pods/${old}?gracePeriodSeconds=0`);
      if (code !== 200) throw new Error(`delete ${old}: HTTP ${code}`);
    });
    for (const d of chosen) {
      d.hash = `${d.hash.slice(0, 8)}z`;
      d.state = 'injected';
    }
  };

  const measure = async (who: 'ours' | 'baseline', pods: number): Promise<void> => {
    const port = await freePort();
    const memFile = join(dir, `mem-${who}-${pods}.json`);
    const hook = `--expose-gc --import ${join(repoRoot, 'bench', 'lib', 'gc-on-signal.mjs')}`;
    const common = { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: kubeconfig, NODE_OPTIONS: who === 'ours' ? `${chartNodeOptions} ${hook}` : hook, BENCH_MEMORY_FILE: memFile };
    const t0 = performance.now();
    const proc = who === 'ours'
      ? startProc('controller', process.execPath, [join(repoRoot, 'dist', 'main.js'), 'controller'], {
          env: { ...common, HOST: '127.0.0.1', PORT: String(port), POD_NAME: `bench-${pods}`, POD_NAMESPACE: 'otel-injector', LOG_LEVEL: 'info', CONTROLLER_MODE: 'report', CONTROLLER_EXCLUDE_NAMESPACES: 'otel-injector,kube-system', INJECT_PAYLOAD_IMAGE: PRELOAD },
          cwd: repoRoot, logFile: join(dir, `${who}-${pods}.log`) })
      : startProc('baseline', process.execPath, [join(repoRoot, 'bench', 'lib', 'informer-baseline.mjs')], { env: { ...common, NAMESPACES: namespaces.join(',') }, cwd: repoRoot, logFile: join(dir, `${who}-${pods}.log`) });
    const r: Result = { who, pods };
    results.push(r);
    try {
      const ready = (): boolean => logLines(proc).some((l) => (who === 'ours' ? l.condition !== undefined : l.msg === 'synced' || l.msg === 'list failed'));
      for (let i = 0; i < 6000 && !ready(); i++) {
        if (proc.child.exitCode !== null) throw new Error(`${who} exited: ${proc.tail(5)}`);
        await sleep(100);
      }
      r.firstMs = performance.now() - t0;
      const failed = logLines(proc).find((l) => l.msg === 'list failed');
      if (failed !== undefined) r.note = `list failed: ${String(failed.err)}`;
      await sleep(5000);
      const pid = proc.child.pid ?? 0;
      const m = await memory(proc, memFile);
      r.rss = m.rss;
      r.heap = m.heapUsed;
      const c0 = cpuSeconds(pid);
      const w0 = Date.now();
      await sleep(REST_SECONDS * 1000);
      const w1 = Date.now();
      r.restCpu = (cpuSeconds(pid) - c0) / ((w1 - w0) / 1000);
      await sleep(2000); // audit lines are written when the requests complete
      const audit = await auditRequests(auditLog, w0, w1);
      r.perMin = audit.count / ((w1 - w0) / 60_000);
      r.requests = audit.by;
      if (who === 'ours') {
        r.expected = expected();
        r.workloads = lastSummary(proc);
        if (pods >= ROLLOUT_PODS && ROLLOUT_PODS > 0) {
          const c1 = cpuSeconds(pid);
          const t1 = performance.now();
          await rollout(ROLLOUT_PODS);
          await sleep(1000);
          r.rolloutS = (performance.now() - t1) / 1000;
          r.rolloutCpu = (cpuSeconds(pid) - c1) / r.rolloutS;
          await sleep(2000);
          r.note = `after the rollout it reports ${lastSummary(proc)} workloads (expected ${expected()})`;
        }
      }
    } finally {
      await proc.stop(10_000);
    }
    console.log(JSON.stringify(r));
  };

  for (const point of POINTS) {
    await populate(point);
    await measure('ours', total);
    if (total <= BASELINE_MAX) await measure('baseline', total);
  }

  const zero = (who: string): Result | undefined => results.find((r) => r.who === who && r.pods === 0);
  console.log('\n| who | pods | first report / synced (s) | RSS MiB | heap MiB | RSS B/pod | heap B/pod | CPU at rest (core) | API req/min at rest | rollout CPU (core) | workloads reported/expected |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const z = zero(r.who);
    const per = (a?: number, b?: number): string => (r.pods === 0 || a === undefined || b === undefined ? '-' : ((a - b) / r.pods).toFixed(0));
    console.log(`| ${r.who} | ${r.pods} | ${((r.firstMs ?? NaN) / 1000).toFixed(1)} | ${mb(r.rss)} | ${mb(r.heap)} | ${per(r.rss, z?.rss)} | ${per(r.heap, z?.heap)} | ${r.restCpu?.toFixed(4) ?? '-'} | ${r.perMin?.toFixed(1) ?? '-'} (${r.requests ?? ''}) | ${r.rolloutCpu === undefined ? '-' : `${r.rolloutCpu.toFixed(3)} over ${r.rolloutS?.toFixed(1)} s`} | ${r.workloads ?? '-'}/${r.expected ?? '-'} ${r.note ?? ''} |`);
  }
  const ours = results.filter((r) => r.who === 'ours' && r.pods > 0).at(-1);
  const z = zero('ours');
  if (ours !== undefined && z !== undefined && ours.heap !== undefined && z.heap !== undefined && ours.rss !== undefined && z.rss !== undefined) {
    const heapPer = (ours.heap - z.heap) / ours.pods;
    const rssPer = (ours.rss - z.rss) / ours.pods;
    console.log(`\ngoal <= 1024 B per watched pod at ${ours.pods} pods: heap ${heapPer.toFixed(0)} B, RSS ${rssPer.toFixed(0)} B: ${Math.max(heapPer, rssPer) <= 1024 ? 'met' : 'missed'}`);
  }
  const oursPoints = results.filter((r) => r.who === 'ours' && r.pods > 0);
  const [p1, p2] = oursPoints.slice(-2);
  if (p1 !== undefined && p2 !== undefined && p1 !== p2) {
    const d = p2.pods - p1.pods;
    console.log(`between ${p1.pods} and ${p2.pods} pods: heap ${(((p2.heap ?? 0) - (p1.heap ?? 0)) / d).toFixed(0)} B, RSS ${(((p2.rss ?? 0) - (p1.rss ?? 0)) / d).toFixed(0)} B per added pod`);
  }
  const base = results.filter((r) => r.who === 'baseline' && r.pods > 0).at(-1);
  const same = results.find((r) => r.who === 'ours' && r.pods === base?.pods);
  const bz = zero('baseline');
  if (base !== undefined && same !== undefined && bz !== undefined && z !== undefined) {
    const b = ((base.heap ?? 0) - (bz.heap ?? 0)) / base.pods;
    const o = ((same.heap ?? 0) - (z.heap ?? 0)) / same.pods;
    console.log(`heap per pod at ${base.pods} pods: baseline ${b.toFixed(0)} B, ours ${o.toFixed(0)} B (x${(o / b).toFixed(3)})`);
  }
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
