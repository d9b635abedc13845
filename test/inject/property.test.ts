import fc from 'fast-check';
import t from 'tap';
import { arbPod } from '../support/arbitraries.js';
import { envDiff, kubeletEnv, type EnvValue, type KubeletEnv } from '../support/kubelet-env.js';
import { restrictedViolations, validatePod } from '../support/pod-judge.js';
import { admit, testConfig, type Obj } from '../support/admission.js';

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
        if (typeof before.get('PYTHONPATH') === 'string') before.delete('PYTHONPATH');
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

// ---- runtimes: an oracle written from the documented rules, not from src/runtimes ----------------

const MOUNT = '/otel-injector';

interface RuntimeRule {
  readonly name: string;
  readonly variable: string;
  /** The kubelet's value after injection, from the user's last entry (raw) and its kubelet value (before). */
  readonly expected: (raw: Obj | undefined, before: EnvValue | undefined) => string;
}

const RULES: readonly RuntimeRule[] = [
  {
    name: 'node',
    variable: 'NODE_OPTIONS',
    expected: (raw, before) => {
      const flag = `--require ${MOUNT}/node/register.cjs`;
      return raw === undefined || String(raw.value ?? '').trim() === '' ? flag : `${String(before)} ${flag}`;
    },
  },
  {
    name: 'python',
    variable: 'PYTHONPATH',
    // our directory first; the user's value (every entry, in order) after one ':'; an empty value is no entry at all
    expected: (raw, before) => {
      const dir = `${MOUNT}/python`;
      return raw === undefined || (raw.value ?? '') === '' ? dir : `${dir}:${String(before)}`;
    },
  },
];

function lastEntry(container: Obj, name: string): Obj | undefined {
  return ((container.env ?? []) as Obj[]).filter((entry) => entry.name === name).at(-1);
}

function mountsAt(container: Obj): number {
  return ((container.volumeMounts ?? []) as Obj[]).filter((mount) => mount.mountPath === MOUNT).length;
}

function selectedNames(configured: readonly string[], annotation: string | undefined): string[] {
  if (annotation === undefined || annotation.trim() === '') return [...configured];
  const wanted = annotation.split(',').map((name) => name.trim());
  return configured.filter((name) => wanted.includes(name));
}

/** Checks one container; returns the runtimes switched on in it. */
function checkContainer(original: Obj, after: Obj, index: number, selected: readonly string[], skipped: string): string[] {
  const container = original.spec.containers[index] as Obj;
  const name = String(container.name);
  const before: KubeletEnv = kubeletEnv(container, original);
  const now: KubeletEnv = kubeletEnv(after.spec.containers[index], after);
  const injected = mountsAt(after.spec.containers[index]) > mountsAt(container);
  const switchedOn: string[] = [];
  for (const rule of RULES) {
    const changed = JSON.stringify(now.get(rule.variable)) !== JSON.stringify(before.get(rule.variable));
    const raw = lastEntry(container, rule.variable);
    if (!changed) {
      // left out: not selected, not an injected container, or a reason in skipped-containers
      if (injected && selected.includes(rule.name) && !skipped.split('; ').some((item) => item.startsWith(`${name}: ${rule.name}: `))) {
        throw new Error(`${name}: ${rule.name} neither switched on nor listed as skipped (${JSON.stringify(skipped)})`);
      }
      continue;
    }
    if (!injected) throw new Error(`${name}: ${rule.variable} changed in a container that was not injected`);
    if (!selected.includes(rule.name)) throw new Error(`${name}: ${rule.variable} changed but ${rule.name} is not selected`);
    if (raw?.valueFrom !== undefined) throw new Error(`${name}: ${rule.variable} from valueFrom was changed`);
    const want = rule.expected(raw, before.get(rule.variable));
    if (now.get(rule.variable) !== want) {
      throw new Error(`${name}: ${rule.variable} ${JSON.stringify(before.get(rule.variable))} became ${JSON.stringify(now.get(rule.variable))}, expected ${JSON.stringify(want)}`);
    }
    switchedOn.push(rule.name);
  }
  if (injected && switchedOn.length === 0) throw new Error(`${name}: injected without any runtime`);
  return switchedOn;
}

const configuredArb = fc.constantFrom(['node', 'python'], ['node'], ['python']);

t.test('runtimes: each variable gets exactly its rule, only for selected runtimes; the status names what was switched on', async (t) => {
  const seen = { python: 0, node: 0, narrowed: 0, nothingSelected: 0, pythonSkipped: 0 };
  fc.assert(
    fc.property(arbPod(), configuredArb, (pod, configured) => {
      const original = pod as Obj;
      const { pod: after, result } = admit(original, testConfig({ INJECT_RUNTIMES: configured.join(',') }));
      const annotations = (after.metadata?.annotations ?? {}) as Record<string, string>;
      const annotation = (original.metadata?.annotations as Record<string, string> | undefined)?.['otel-injector.io/runtimes'];
      const selected = selectedNames(configured, annotation);
      const skipped = annotations['otel-injector.io/skipped-containers'] ?? '';
      const used = new Set<string>();
      (original.spec.containers as Obj[]).forEach((_, index) => {
        for (const runtime of checkContainer(original, after, index, selected, skipped)) used.add(runtime);
      });
      if (result.decision === 'injected') {
        const want = `injected: ${RULES.map((rule) => rule.name).filter((runtime) => used.has(runtime)).join(',')}`;
        if (annotations['otel-injector.io/status'] !== want) throw new Error(`status ${annotations['otel-injector.io/status']}, expected ${want}`);
      } else if (used.size > 0) {
        throw new Error(`decision ${result.decision} but ${[...used].join(',')} switched on`);
      }
      if (selected.length === 0 && result.decision === 'skipped' && !/^skipped: (otel-injector\.io\/runtimes|no container selected|windows|owner kind)/.test(annotations['otel-injector.io/status'] ?? '')) {
        throw new Error(`nothing selected, yet status ${annotations['otel-injector.io/status']}`);
      }
      if (selected.length === 0 && result.decision === 'injected') throw new Error('injected with no runtime selected');
      seen.python += used.has('python') ? 1 : 0;
      seen.node += used.has('node') ? 1 : 0;
      seen.narrowed += annotation !== undefined && annotation.trim() !== '' && result.decision === 'injected' ? 1 : 0;
      seen.nothingSelected += selected.length === 0 ? 1 : 0;
      seen.pythonSkipped += skipped.includes(': python: ') ? 1 : 0;
    }),
    { numRuns: RUNS },
  );
  for (const [what, count] of Object.entries(seen)) t.ok(count > RUNS / 50, `${what}: ${count}/${RUNS}`);
});

t.test('runtimes: a second pass adds nothing, whichever runtimes were configured', async (t) => {
  fc.assert(
    fc.property(arbPod(), configuredArb, (pod, configured) => {
      const config = testConfig({ INJECT_RUNTIMES: configured.join(',') });
      const first = admit(pod, config);
      const second = admit(first.pod, config);
      if (second.ops.length > 0) throw new Error(`second pass changed: ${JSON.stringify(second.ops)}`);
    }),
    { numRuns: RUNS / 2 },
  );
  t.pass();
});
