import fc from 'fast-check';
import t from 'tap';
import { arbPod } from '../support/arbitraries.js';
import { envDiff, kubeletEnv } from '../support/kubelet-env.js';
import { restrictedViolations, validatePod } from '../support/pod-judge.js';
import { admit, type Obj } from '../support/admission.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);

t.test('for random valid pods the patch applies, the pod stays valid, user env is unchanged, a second pass adds nothing', async (t) => {
  let injected = 0;
  fc.assert(
    fc.property(arbPod(), (pod) => {
      const original = pod as Obj;
      const first = admit(original);
      const errors = validatePod(first.pod);
      if (errors.length > 0) throw new Error(`invalid after injection: ${errors.join('; ')}`);
      if (restrictedViolations(original).length === 0 && restrictedViolations(first.pod).length > 0) {
        throw new Error(`restricted broken: ${restrictedViolations(first.pod).join('; ')}`);
      }
      (original.spec.containers as Obj[]).forEach((container, index) => {
        const before = kubeletEnv(container, original);
        const after = kubeletEnv(first.pod.spec.containers[index], first.pod);
        const userAttributes = before.get('OTEL_RESOURCE_ATTRIBUTES');
        const newAttributes = after.get('OTEL_RESOURCE_ATTRIBUTES');
        if (typeof userAttributes === 'string' && userAttributes.trim() !== '' && !String(newAttributes).startsWith(userAttributes)) {
          throw new Error(`OTEL_RESOURCE_ATTRIBUTES ${userAttributes} became ${String(newAttributes)}`);
        }
        // The two variables the injector extends (literal values only); every other one must be identical.
        if (typeof userAttributes === 'string') before.delete('OTEL_RESOURCE_ATTRIBUTES');
        if (typeof before.get('NODE_OPTIONS') === 'string') before.delete('NODE_OPTIONS');
        const diff = envDiff(before, after);
        if (diff.length > 0) throw new Error(`user env changed in ${String(container.name)}: ${diff.join('; ')}`);
      });
      const second = admit(first.pod);
      if (second.ops.length > 0) throw new Error(`second pass changed: ${JSON.stringify(second.ops)}`);
      if (first.result.decision === 'injected') injected += 1;
    }),
    { numRuns: RUNS },
  );
  t.ok(injected > RUNS / 4, `a good share of random pods were injected (${injected}/${RUNS})`);
});

t.test('random restricted pods stay restricted after injection', async (t) => {
  fc.assert(
    fc.property(arbPod({ restricted: true }), (pod) => {
      const { pod: after } = admit(pod);
      const violations = restrictedViolations(after);
      if (violations.length > 0) throw new Error(violations.join('; '));
    }),
    { numRuns: 200 },
  );
  t.pass('200 restricted pods checked');
});

t.test('user NODE_OPTIONS literal is kept as a prefix of the new value', async (t) => {
  fc.assert(
    fc.property(arbPod(), (pod) => {
      const original = pod as Obj;
      const { pod: after } = admit(original);
      (original.spec.containers as Obj[]).forEach((container, index) => {
        const before = kubeletEnv(container, original).get('NODE_OPTIONS');
        const now = kubeletEnv(after.spec.containers[index], after).get('NODE_OPTIONS');
        if (typeof before === 'string' && typeof now === 'string' && !now.startsWith(before.trim() === '' ? '' : before)) {
          throw new Error(`NODE_OPTIONS ${JSON.stringify(before)} became ${JSON.stringify(now)}`);
        }
        if (typeof before === 'object' && JSON.stringify(now) !== JSON.stringify(before)) {
          throw new Error('NODE_OPTIONS from valueFrom changed');
        }
      });
    }),
    { numRuns: RUNS },
  );
  t.pass();
});
