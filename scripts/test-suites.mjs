// The test suites `npm test` runs, from the runtime registry's folders: each runtime adds its own suites
// (`test:<name>`, and `test:<name>-unit` if it has one) by having a src/runtimes/<name>/build.mjs and those
// package.json scripts; test/runtimes/checklist.test.ts fails when a registered runtime has no suite.
import { payloadRuntimes } from './build-payload.mjs';

/**
 * Suites that build images with buildah or run the webhook from dist/ next to Kubernetes binaries (the node suite
 * builds its images too): one lane, so none of them races another on buildah.
 */
const BUILDAH = ['test:cli', 'test:webhook-lines', 'test:node-e2e', 'test:images'];
/**
 * Suites that mostly wait (a real kube-apiserver, JVMs starting) and share nothing with the others but dist/,
 * which scripts/build-if-stale.mjs builds once under a lock: a third lane when there is one. (The Node.js lines,
 * tried here in run 12, missed 15 s receiver waits in esm.test.ts beside e2e and Java: they stay in lane one.)
 */
const WAITING = ['test:e2e', 'test:java'];

/** Every suite, in the order a single lane runs them. */
export function suites(scripts) {
  const perRuntime = payloadRuntimes().flatMap((name) => [`test:${name}`, `test:${name}-unit`]);
  return ['test:unit', 'test:chart', 'test:cli', ...perRuntime, 'test:webhook-lines', 'test:e2e', 'test:node-e2e', 'test:images']
    .filter((suite) => scripts[suite] !== undefined);
}

/**
 * The suites split into lanes that run side by side: the runtimes' suites and the unit tests (mostly CPU), the
 * buildah and node suites, and (with 3 lanes) the API-level and Java suites (mostly waiting). With one lane,
 * everything in order; with two, the waiting suites join the buildah lane.
 */
export function lanes(scripts, count) {
  const all = suites(scripts);
  if (count <= 1) return [all];
  const cpu = all.filter((suite) => !BUILDAH.includes(suite) && !WAITING.includes(suite));
  const buildah = all.filter((suite) => BUILDAH.includes(suite));
  const waiting = all.filter((suite) => WAITING.includes(suite));
  return count === 2 ? [cpu, [...buildah, ...waiting]] : [cpu, buildah, waiting];
}
