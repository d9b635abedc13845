// The node suite's pre-fork Deployment (issue 19): the Python app image served as most Python services
// run in production, `gunicorn -w 2 -k uvicorn_worker.UvicornWorker main:app`, injected. It must become
// Ready (before the fix no worker ever booted), both workers serve and export under their own identity,
// and what they recorded is flushed when the pod is deleted: with OTEL_BSP_SCHEDULE_DELAY=60000 only the
// flush at SIGTERM can deliver the spans before the container exits. Run by node.test.ts on its node.
import type { Test } from 'tap';
import type { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { STATUS_ANNOTATION } from '../e2e/kube.js';
import type { Receiver, SpanRecord } from '../support/receiver.mjs';
import { containerExits, killTimes } from './exits.js';
import { PY_APP_IMAGE } from './images.js';
import type { Node } from './node.js';
import { ON } from './suite.js';
import { APP_PORT, appDeployment, deleteAndWaitGone, deployAndWait, get } from './workloads.js';

const NAME = 'py-prefork';
const GRACE_SECONDS = 10;
// /dev/shm: gunicorn's worker heartbeat files need a writable directory and the root filesystem is read-only
const GUNICORN = ['python3', '-m', 'gunicorn', '--workers', '2', '--worker-class', 'uvicorn_worker.UvicornWorker',
  '--bind', `0.0.0.0:${APP_PORT}`, '--worker-tmp-dir', '/dev/shm', '--log-level', 'warning', 'main:app'];
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface PreforkContext {
  node: Node;
  core: CoreV1Api;
  apps: AppsV1Api;
  receiver: Receiver;
}

/** The case's checks on `tt`; returns its timings for the suite's summary line. */
export async function preforkDeployment(tt: Test, { node, core, apps, receiver }: PreforkContext): Promise<Record<string, string>> {
  const env = { OTEL_BSP_SCHEDULE_DELAY: '60000' };
  const rollout = await deployAndWait(apps, core, ON, appDeployment(NAME, { image: PY_APP_IMAGE, graceSeconds: GRACE_SECONDS, env, command: GUNICORN }));
  const pod = rollout.pod;
  const podName = pod.metadata?.name ?? '';
  tt.match(pod.metadata?.annotations?.[STATUS_ANNOTATION], /^injected: \S*python/, 'status annotation: injected for python');
  tt.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0, 'init container completed');
  const app = pod.status?.containerStatuses?.find((c) => c.name === 'app');
  tt.equal(app?.ready, true, 'gunicorn\'s workers booted: the pod is Ready');
  tt.equal(app?.restartCount, 0, 'never restarted');

  // Spread requests over both workers: each first request of a pair blocks its worker's event loop for
  // 0.4 s, so the second (a new connection 0.1 s later) is accepted by the other worker. Bounded.
  const marker = `prefork-${Date.now()}`;
  const url = (i: number, k: number): string => `http://${pod.status?.podIP ?? ''}:${APP_PORT}/work?hold=${k === 0 ? 0.4 : 0}&${marker}=${i}.${k}`;
  const pids = new Set<number>();
  let requests = 0;
  for (let i = 0; i < 10 && pids.size < 2; i++) {
    const answers = await Promise.all([0, 1].map(async (k) => { await sleep(k * 100); return get(url(i, k)); }));
    for (const a of answers) {
      requests += 1;
      if (a.status === 200) pids.add(Number((JSON.parse(a.body) as { pid: number }).pid));
    }
  }
  tt.equal(pids.size, 2, `${requests} requests were served by two workers (pids ${[...pids].join(', ')})`);
  tt.notOk(pids.has(1), 'not by the master (PID 1 of the container)');
  const isMarker = (x: SpanRecord): boolean => x.kind === 2 && x.resource['k8s.pod.uid'] === pod.metadata?.uid && JSON.stringify(x.attributes).includes(marker);
  tt.notOk(receiver.spans.some(isMarker), 'no span of these requests exported before the delete (batch delay 60 s)');

  // Delete the pod: the kubelet's SIGTERM goes to the gunicorn master, which stops its workers.
  const containerId = (app?.containerID ?? '').replace(/^containerd:\/\//, '');
  const t0 = Date.now();
  const exit = containerExits(node, [containerId], t0, (GRACE_SECONDS + 20) * 1000);
  let arrivedAt = 0;
  const fromEveryWorker = (s: { spans: SpanRecord[] }): boolean => [...pids].every((pid) => s.spans.some((x) => isMarker(x) && x.resource['process.pid'] === pid));
  const seen = receiver.waitFor(fromEveryWorker, (GRACE_SECONDS + 20) * 1000).then(() => (arrivedAt = Date.now()), () => 0);
  const goneMs = await deleteAndWaitGone(core, pod);
  const [exitMs] = await exit;
  await seen;
  await apps.deleteNamespacedDeployment({ name: NAME, namespace: ON }); // its replacement pod is not needed

  tt.ok(arrivedAt > 0, 'the spans of both workers arrived');
  tt.ok(exitMs !== undefined && arrivedAt - t0 < exitMs, `they arrived ${secs(arrivedAt - t0)} after the delete, before the container exited (${secs(exitMs ?? NaN)})`);
  const spans = receiver.spans.filter(isMarker);
  tt.equal(spans.length, requests, 'one server span per request, none lost, none twice');
  for (const pid of pids) {
    const span = spans.find((x) => x.resource['process.pid'] === pid);
    tt.equal(span?.resource['k8s.pod.name'], podName, `worker ${pid}: k8s.pod.name is the pod's`);
    tt.equal(span?.resource['service.name'], NAME, `worker ${pid}: service.name is the Deployment name`);
    tt.equal(span?.resource['service.instance.id'], `${ON}.${podName}.app.${pid}`, `worker ${pid}: service.instance.id is the webhook's value + ".${pid}"`);
  }
  const [killedAt] = await killTimes(node, [containerId]);
  return {
    [`${NAME} create -> Ready (gunicorn, 2 workers)`]: secs(rollout.readyMs),
    [`${NAME} delete -> spans arrived / container exit / pod gone`]: `${secs(arrivedAt - t0)} / ${secs(exitMs ?? NaN)} / ${secs(goneMs)}`,
    [`${NAME} kubelet SIGTERM -> container exit`]: secs(t0 + (exitMs ?? NaN) - (killedAt ?? NaN)),
  };
}
