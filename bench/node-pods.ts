// The cost a user feels on a real node (issue 16): Deployment created -> pod Ready for the same app
// with and without injection, in the same run, alternating which goes first, medians; and the init
// container's own run time (kubelet timestamps, 1 s resolution). Brings up the node suite's node
// (test/node-e2e): root only, needs the binaries from test/node-e2e/build-node.sh and build-runtime.sh.
// Env: ROUNDS (default 5). Run: npm run bench:node
import { startSuite, ON, OFF } from '../test/node-e2e/suite.js';
import { appDeployment, deployAndWait } from '../test/node-e2e/workloads.js';
import type { V1Pod } from '@kubernetes/client-node';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
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
try {
  const s = await startSuite({ teardown: (fn) => teardowns.push(fn) });
  console.log(`node up: images ${(s.imagesMs / 1000).toFixed(1)} s, bring-up ${(s.bringUpMs / 1000).toFixed(1)} s`);
  const injected: number[] = [];
  const plain: number[] = [];
  const init: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [ON, OFF] : [OFF, ON];
    for (const ns of order) {
      const name = `bench-${round}`;
      const { pod, readyMs } = await deployAndWait(s.apps, s.core, ns, appDeployment(name));
      if (ns === ON) {
        injected.push(readyMs);
        init.push(initSeconds(pod));
      } else {
        plain.push(readyMs);
      }
      await s.apps.deleteNamespacedDeployment({ name, namespace: ns, propagationPolicy: 'Background' });
    }
    console.log(`round ${round + 1}: injected ${injected.at(-1)} ms, uninstrumented ${plain.at(-1)} ms, init container ${init.at(-1)} s`);
  }
  const mi = median(injected);
  const mp = median(plain);
  console.log(`\ncreate -> Ready, median of ${ROUNDS}: injected ${mi} ms, uninstrumented ${mp} ms, +${mi - mp} ms (x${(mi / mp).toFixed(2)})`);
  console.log(`init container run time (kubelet timestamps, 1 s resolution): median ${median(init)} s, max ${Math.max(...init)} s`);
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
