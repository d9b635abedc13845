// The test suites `npm test` runs, from the runtime registry's folders: each runtime adds its own suites
// (`test:<name>`, and `test:<name>-unit` if it has one) by having a src/runtimes/<name>/build.mjs and those
// package.json scripts; test/runtimes/checklist.test.ts fails when a registered runtime has no suite.
import { payloadRuntimes } from './build-payload.mjs';

/**
 * Suites that build dist/ for the webhook, talk to real Kubernetes binaries or build images with buildah
 * (the node suite builds its images too): one lane, so none of them races another on dist/ or buildah.
 */
const KUBE = ['test:cli', 'test:webhook-lines', 'test:e2e', 'test:node-e2e', 'test:images'];

/** Every suite, in the order a single lane runs them. */
export function suites(scripts) {
  const perRuntime = payloadRuntimes().flatMap((name) => [`test:${name}`, `test:${name}-unit`]);
  return ['test:unit', 'test:chart', 'test:cli', ...perRuntime, 'test:webhook-lines', 'test:e2e', 'test:node-e2e', 'test:images']
    .filter((suite) => scripts[suite] !== undefined);
}

/**
 * The suites split into lanes that run side by side: the Kubernetes and image suites (mostly waiting on
 * real binaries) beside the rest (the runtimes' suites, mostly CPU). With one lane, everything in order.
 */
export function lanes(scripts, count) {
  const all = suites(scripts);
  if (count <= 1) return [all];
  return [all.filter((suite) => !KUBE.includes(suite)), all.filter((suite) => KUBE.includes(suite))];
}
