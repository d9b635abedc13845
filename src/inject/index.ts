import { RUNTIMES, type Runtime } from '../runtimes/index.js';
import { ANNOTATION } from '../k8s/contract/annotations.js';
import { injectedStatus, skippedStatus } from '../k8s/contract/status.js';
import { addCollectorVolume } from './collector.js';
import { injectContainer, planContainer, type ContainerPlan } from './container.js';
import { existingOf, providePayload, volumeOf } from './payload.js';
import { selectedContainers, selectedRuntimes } from './select.js';
import { podFacts, type PodFacts } from './service.js';
import { asPod } from './shape.js';
import type { Container, InjectContext, InjectResult, Pod } from './types.js';

export type { InjectContext, InjectResult, Pod } from './types.js';

function setAnnotation(pod: Pod, key: string, value: string): void {
  pod.metadata = { ...(pod.metadata ?? {}) };
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [key]: value };
}

function skipped(pod: Pod, reason: string): InjectResult {
  setAnnotation(pod, ANNOTATION.status, skippedStatus(reason));
  return { pod, decision: 'skipped', reason };
}

function podLevelSkip(pod: Pod, facts: PodFacts, context: InjectContext): string | undefined {
  if (pod.spec.os?.name === 'windows') return 'windows pod';
  const owners = pod.metadata?.ownerReferences ?? [];
  const kinds = new Set([...owners.map((owner) => owner.kind), facts.workload.kind]);
  const skippedKind = context.config.skipOwnerKinds.find((kind) => kinds.has(kind));
  return skippedKind === undefined ? undefined : `owner kind ${skippedKind} is skipped by configuration`;
}

function describeSkips(plans: ReadonlyArray<[Container, ContainerPlan]>): string {
  return plans.flatMap(([container, plan]) => plan.skips.map((reason) => `${container.name}: ${reason}`)).join('; ');
}

/** Names of the runtimes these plans switch on (or an earlier pass did), in registry order. */
function runtimeNames(plans: ReadonlyArray<[Container, ContainerPlan]>): string[] {
  const used = new Set<Runtime>(plans.flatMap(([, plan]) => (plan.kind === 'skip' ? [] : plan.runtimes)));
  return RUNTIMES.filter((runtime) => used.has(runtime)).map((runtime) => runtime.name);
}

const OLDER_VOLUME = 'the payload volume was filled by an init container of another form (an earlier release of the injector)';

function injectInto(pod: Pod, original: Pod, facts: PodFacts, context: InjectContext): InjectResult {
  const { config } = context;
  const selected = selectedContainers(pod);
  if (selected.length === 0) return skipped(pod, 'no container selected by otel-injector.io/container-names');
  const selection = selectedRuntimes(pod, config);
  if (selection.skip !== undefined) return skipped(pod, selection.skip);
  const existing = existingOf(pod, config);
  const plans = selected.map((container): [Container, ContainerPlan] => [container, planContainer(container, selection.runtimes, volumeOf(existing), config)]);
  const todo = plans.filter(([, plan]) => plan.kind === 'inject');
  const skips = describeSkips(plans);
  if (todo.length === 0) {
    const alreadyDone = existing !== undefined || plans.some(([, plan]) => plan.kind === 'already');
    return alreadyDone ? { pod: original, decision: 'skipped', reason: 'already injected' } : skipped(pod, skips);
  }
  const payload = providePayload(pod, existing, runtimeNames(todo), config, context.delivery);
  if (payload === undefined) return { pod: original, decision: 'skipped', reason: OLDER_VOLUME };
  let collectorVolume: string | undefined;
  const collector = (): string => (collectorVolume ??= addCollectorVolume(pod.spec, config));
  for (const [container, plan] of todo) injectContainer(container, facts, payload.mounts, plan.runtimes, config, collector);
  setAnnotation(pod, ANNOTATION.status, injectedStatus(runtimeNames(plans), Object.keys(config.overrideEnv), payload.status));
  setAnnotation(pod, ANNOTATION.payloadImage, config.payloadImage);
  if (skips !== '') setAnnotation(pod, ANNOTATION.skippedContainers, skips);
  return { pod, decision: 'injected', reason: skips === '' ? 'all selected containers' : skips, delivery: payload.choice };
}

/**
 * The injection, a pure function: returns the pod as it should be admitted (a modified clone, or the
 * same object when nothing changes) and the decision. No I/O; everything comes from the pod and context.
 */
export function injectPod(object: unknown, context: InjectContext): InjectResult {
  const original = asPod(object);
  if (original.metadata?.annotations?.[ANNOTATION.inject] === 'false') {
    return { pod: original, decision: 'bypassed', reason: 'annotation otel-injector.io/inject=false' };
  }
  // Copy-on-write: the pod, its spec and its containers are copied; everything below them that the
  // injector changes is replaced, never edited in place. Unchanged subtrees stay shared, so the diff
  // (which stops at identical references) only walks what changed.
  const pod: Pod = { ...original, spec: { ...original.spec, containers: original.spec.containers.map((c) => ({ ...c })) } };
  // Derived once from the admitted metadata (owner, labels, annotations), which the injection never changes.
  const facts = podFacts(pod.metadata, context.namespace, context.config);
  const podSkip = podLevelSkip(pod, facts, context);
  return podSkip === undefined ? injectInto(pod, original, facts, context) : skipped(pod, podSkip);
}
