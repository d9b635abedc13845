// The cost a user feels on a real node (issues 16 and 26): Deployment created -> pod Ready for the same app,
// uninjected, injected with the init container (the payload copied into an emptyDir) and injected with the
// payload as an image volume (no init container, no copy), in the same run, rotating which goes first,
// medians; and the init container's own run time (kubelet timestamps, 1 s resolution). Brings up the node
// suite's node (test/node-e2e): root only, needs the binaries from test/node-e2e/build-node.sh and
// build-runtime.sh. The image-volume pods come from a second webhook process (INJECT_DELIVERY=image-volume)
// behind its own MutatingWebhookConfiguration for one namespace. One uncounted warm-up pod per variant first
// (the first image volume of an image on a node unpacks it once for the node). A fourth variant, uninjected
// with the payload image volume mounted as the injection mounts it but nothing loaded from it, separates what
// the delivery costs from what loading the SDK in the app costs.
// Env: ROUNDS (default 10). Run: npm run bench:node
import { startSuite, ON, OFF } from '../test/node-e2e/suite.js';
import { appDeployment, deployAndWait } from '../test/node-e2e/workloads.js';
import { PAYLOAD_IMAGE } from '../test/node-e2e/images.js';
import { startWebhook } from '../test/e2e/harness.js';
import { loopbackServingCert } from '../test/e2e/pki.js';
import { pointWebhookAt } from '../test/e2e/chart.js';
import { STATUS_ANNOTATION, apis, applyWebhookConfig, createNamespace, deploymentPod, eventually } from '../test/e2e/kube.js';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const IV = 'node-iv';
const IV_LABEL = 'otel-injector.bench/delivery';
const MOUNTED = 'mounted-only';

/** The uninjected app with the payload image volume and the two subPath mounts an injected pod gets, nothing loaded. */
function mountedOnly(name: string): ReturnType<typeof appDeployment> {
  const d = appDeployment(name);
  const spec = d.spec?.template.spec;
  if (spec === undefined) throw new Error('appDeployment without a pod spec');
  spec.volumes = [{ name: 'otel-injector', image: { reference: PAYLOAD_IMAGE, pullPolicy: 'Never' } }];
  for (const c of spec.containers) c.volumeMounts = ['node', 'python'].map((r) => ({ name: 'otel-injector', mountPath: `/otel-injector/${r}`, subPath: `otel-payload/${r}`, readOnly: true }));
  return d;
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

function initSeconds(pod: V1Pod): number {
  const term = pod.status?.initContainerStatuses?.[0]?.state?.terminated;
  if (term?.startedAt === undefined || term.finishedAt === undefined) return NaN;
  return (new Date(term.finishedAt).getTime() - new Date(term.startedAt).getTime()) / 1000;
}

const teardowns: Array<() => Promise<void> | void> = [];
const host = { teardown: (fn: () => Promise<void> | void) => teardowns.push(fn) };
try {
  const s = await startSuite(host);
  console.log(`node up: images ${(s.imagesMs / 1000).toFixed(1)} s, bring-up ${(s.bringUpMs / 1000).toFixed(1)} s`);
  // the image-volume webhook: the same chart env, INJECT_DELIVERY=image-volume, no controller snapshot (forced mode does as configured)
  const cert = loopbackServingCert('node-bench-iv-ca');
  const env = { ...s.chartEnv, INJECT_PAYLOAD_IMAGE: PAYLOAD_IMAGE, INJECT_IMAGE_PULL_POLICY: 'Never', INJECT_OTLP_ENDPOINT: s.receiver.url, INJECT_DELIVERY: 'image-volume', INJECT_DELIVERY_SUPPORT_FILE: join(s.node.cp.dir, 'no-support.json') };
  const iv = await startWebhook(host, s.node.cp.dir, { cert, env, logName: 'webhook-iv' });
  const mwc = pointWebhookAt(s.rendered, `${iv.url}/mutate`, iv.caPem);
  mwc.metadata = { name: `${mwc.metadata?.name ?? 'otel-injector'}-image-volume` };
  for (const w of mwc.webhooks ?? []) w.namespaceSelector = { matchLabels: { [IV_LABEL]: 'image-volume' } };
  const { admission } = apis(s.node.cp.kubeConfig);
  await applyWebhookConfig(admission, mwc);
  await createNamespace(s.core, IV, { [IV_LABEL]: 'image-volume' });
  const warm = await eventually(() => s.core.createNamespacedPod({ namespace: IV, body: deploymentPod('warmup'), dryRun: 'All' }), (p) => /delivery: image-volume/.test(p.metadata?.annotations?.[STATUS_ANNOTATION] ?? ''));
  if (!/delivery: image-volume/.test(warm.metadata?.annotations?.[STATUS_ANNOTATION] ?? '')) throw new Error(`image-volume webhook never became active:\n${iv.proc.tail()}`);

  const variants = [OFF, ON, IV, MOUNTED] as const;
  const ready: Record<string, number[]> = { [OFF]: [], [ON]: [], [IV]: [], [MOUNTED]: [] };
  const init: number[] = [];
  const one = async (variant: string, name: string): Promise<V1Pod & { readyMs: number }> => {
    const ns = variant === MOUNTED ? OFF : variant;
    const unique = variant === MOUNTED ? `${name}-m` : name; // shares OFF's namespace
    const { pod, readyMs } = await deployAndWait(s.apps, s.core, ns, variant === MOUNTED ? mountedOnly(unique) : appDeployment(unique));
    await s.apps.deleteNamespacedDeployment({ name: unique, namespace: ns, propagationPolicy: 'Background' });
    return { ...pod, readyMs };
  };
  for (const ns of variants) await one(ns, 'bench-warmup');
  for (let round = 0; round < ROUNDS; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length] ?? OFF);
    for (const ns of order) {
      const pod = await one(ns, `bench-${round}`);
      ready[ns]?.push(pod.readyMs);
      if (ns === ON) init.push(initSeconds(pod));
      if (ns === IV && ((pod.spec?.initContainers?.length ?? 0) > 0 || !(pod.spec?.volumes ?? []).some((v) => v.image !== undefined))) throw new Error(`${IV} pod is not an image-volume pod: ${JSON.stringify(pod.spec)}`);
    }
    console.log(`round ${round + 1}: uninjected ${ready[OFF]?.at(-1)} ms, init container ${ready[ON]?.at(-1)} ms (its run ${init.at(-1)} s), image volume ${ready[IV]?.at(-1)} ms, uninjected + image volume mounted ${ready[MOUNTED]?.at(-1)} ms`);
  }
  const mp = median(ready[OFF] ?? []);
  const mi = median(ready[ON] ?? []);
  const mv = median(ready[IV] ?? []);
  const mm = median(ready[MOUNTED] ?? []);
  console.log(`\ncreate -> Ready, median of ${ROUNDS} each: uninjected ${mp} ms, init container ${mi} ms (+${mi - mp} ms, x${(mi / mp).toFixed(2)}), image volume ${mv} ms (+${mv - mp} ms, x${(mv / mp).toFixed(2)})`);
  console.log(`uninjected with the payload image volume mounted, nothing loaded: ${mm} ms (+${mm - mp} ms): the delivery's own cost; image volume vs that: +${mv - mm} ms (loading the SDK)`);
  console.log(`goal (issue 26): image volume adds <= 200 ms median over uninjected: ${mv - mp <= 200 ? 'met' : 'NOT met'}`);
  console.log(`init container run time (kubelet timestamps, 1 s resolution): median ${median(init)} s, max ${Math.max(...init)} s`);
  for (const ns of variants) console.log(`${ns}: ${JSON.stringify(ready[ns])}`);
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
