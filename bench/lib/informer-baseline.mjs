// Baseline of bench/controller.ts: the controller's pod cache as it was before issue 23, in a process of
// its own: client-node's informer (makeInformer: one unpaged list, whole typed V1Pod objects cached, a
// watch without bookmarks) on the pods of each namespace in NAMESPACES (comma list). Prints one JSON line
// when every informer has listed, then only keeps watching. KUBECONFIG names the credentials.
import { CoreV1Api, KubeConfig, makeInformer } from '@kubernetes/client-node';

const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const namespaces = (process.env.NAMESPACES ?? '').split(',').filter((n) => n !== '');
const t0 = performance.now();
const informers = namespaces.map((namespace) => makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace })));
for (const informer of informers) informer.on('error', (err) => console.log(JSON.stringify({ msg: 'informer error', err: String(err?.message ?? err) })));
try {
  await Promise.all(informers.map((i) => i.start()));
  const pods = informers.reduce((n, i) => n + i.list().length, 0);
  console.log(JSON.stringify({ msg: 'synced', ms: Math.round(performance.now() - t0), pods }));
} catch (err) {
  console.log(JSON.stringify({ msg: 'list failed', err: String(err?.message ?? err) }));
}
setInterval(() => undefined, 1 << 30);
