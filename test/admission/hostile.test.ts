// Hostile shapes: any field the injector reads replaced by any JSON value. The review must either work or
// be refused as an unsupported object (allowed, untouched, with a warning): never an internal error.
import fc from 'fast-check';
import t from 'tap';
import { reviewAdmission } from '../../src/admission/review.js';
import type { AdmissionRequest } from '../../src/admission/types.js';
import { arbPod } from '../support/arbitraries.js';
import { reviewOf, testConfig } from '../support/admission.js';

const config = testConfig({ INJECT_SKIP_OWNER_KINDS: 'Job' });

const PATHS: string[][] = [
  ['metadata'], ['metadata', 'name'], ['metadata', 'generateName'], ['metadata', 'annotations'], ['metadata', 'labels'],
  ['metadata', 'ownerReferences'], ['metadata', 'ownerReferences', '0'], ['metadata', 'ownerReferences', '0', 'name'],
  ['metadata', 'ownerReferences', '0', 'kind'], ['spec'], ['spec', 'containers'], ['spec', 'containers', '0'],
  ['spec', 'containers', '0', 'name'], ['spec', 'containers', '0', 'image'], ['spec', 'containers', '0', 'env'],
  ['spec', 'containers', '0', 'env', '0'], ['spec', 'containers', '0', 'env', '0', 'name'],
  ['spec', 'containers', '0', 'env', '0', 'value'], ['spec', 'containers', '0', 'env', '0', 'valueFrom'],
  ['spec', 'containers', '0', 'envFrom'], ['spec', 'containers', '0', 'volumeMounts'],
  ['spec', 'containers', '0', 'volumeMounts', '0'], ['spec', 'containers', '0', 'volumeMounts', '0', 'mountPath'],
  ['spec', 'initContainers'], ['spec', 'initContainers', '0'], ['spec', 'volumes'], ['spec', 'volumes', '0'],
  ['spec', 'volumes', '0', 'name'], ['spec', 'os'], ['spec', 'os', 'name'], ['spec', 'ephemeralContainers'],
];

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'object' && node !== null) (node as Record<string, unknown>)[path.at(-1) ?? ''] = value;
}

t.test('any JSON value in any field the injector reads: never an internal error', async (t) => {
  const hostileValue = fc.oneof(
    fc.constantFrom(null, 0, -1, 1.5, true, '', 'x', [], {}, [null], [1], ['a'], { name: 7 }, '$(X)', { a: { b: [] } }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  let refused = 0;
  fc.assert(
    fc.property(arbPod(), fc.constantFrom(...PATHS), hostileValue, (pod, path, value) => {
      const object = structuredClone(pod);
      setPath(object, path, value);
      const result = reviewAdmission(reviewOf(object).request as AdmissionRequest, config.inject);
      if (result.error !== undefined) {
        throw new Error(`internal error for ${path.join('.')}=${JSON.stringify(value)}: ${String(result.error)}`);
      }
      if (result.review.response?.allowed !== true) throw new Error('not allowed');
      if (result.decision === 'error') refused += 1;
    }),
    { numRuns: 1500 },
  );
  t.ok(refused > 0, `some shapes were refused as unsupported (${refused}), none crashed`);
});
