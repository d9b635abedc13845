// What the webhook did to a live pod, read from the pod alone.
import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { imageVersion } from '../inject/service.js';
import { workloadOf } from '../inject/workload.js';
import type { ObjectMeta } from '../inject/types.js';
import { matches } from './selector.js';

export type PodState = 'injected' | 'skipped' | 'bypassed' | 'not-seen' | 'not-opted-in' | 'excluded';

export interface PodReport {
  readonly namespace: string;
  readonly name: string;
  /** `Deployment/checkout`, or `Pod/<name>` for a pod without a controller. */
  readonly workload: string;
  readonly state: PodState;
  readonly detail: string;
  /** Version (tag/digest) of the payload image of an injected pod (the status column PRELOAD). */
  readonly preload: string | undefined;
  readonly created: string | undefined;
}

const STATUS = 'otel-injector.io/status';
const INJECT = 'otel-injector.io/inject';
const RESTARTED_AT = 'otel-injector.io/restarted-at';
const INIT = /^otel-injector(-\d+)?$/;

export function workloadLabel(pod: V1Pod): string {
  const workload = workloadOf(pod.metadata as ObjectMeta | undefined);
  if (workload.kind !== undefined && workload.name !== undefined) return `${workload.kind}/${workload.name}`;
  const owner = pod.metadata?.ownerReferences?.[0];
  return owner === undefined ? `Pod/${pod.metadata?.name ?? ''}` : `${owner.kind}/${owner.name}`;
}

function preloadVersion(pod: V1Pod): string | undefined {
  const init = (pod.spec?.initContainers ?? []).find((c) => INIT.test(c.name));
  return imageVersion(init?.image);
}

function fromAnnotation(status: string | undefined): { state: PodState; detail: string } | undefined {
  if (status?.startsWith('injected') === true) return { state: 'injected', detail: status.slice('injected'.length).replace(/^:\s*/, '') };
  if (status?.startsWith('skipped') === true) return { state: 'skipped', detail: status.replace(/^skipped:\s*/, '') };
  return undefined;
}

function stateOf(pod: V1Pod, optedIn: boolean, objectSelector: V1LabelSelector | undefined): { state: PodState; detail: string } {
  const annotated = fromAnnotation(pod.metadata?.annotations?.[STATUS]);
  if (annotated !== undefined) return annotated;
  if (!optedIn) return { state: 'not-opted-in', detail: 'namespace not selected by the webhook' };
  if (!matches(objectSelector, pod.metadata?.labels)) return { state: 'excluded', detail: 'objectSelector (the webhook\'s own pods)' };
  if (pod.metadata?.annotations?.[INJECT] === 'false') return { state: 'bypassed', detail: `annotation ${INJECT}=false` };
  return { state: 'not-seen', detail: 'no otel-injector.io/status: created while the webhook was down or before the namespace label; the controller reports it (restarts its workload in controller.mode=restart), or restart it yourself' };
}

function withRestart(detail: string, restartedAt: string | undefined): string {
  return restartedAt === undefined ? detail : `${detail}; its workload was restarted by the controller at ${restartedAt}`;
}

export function podReport(pod: V1Pod, optedIn: boolean, objectSelector: V1LabelSelector | undefined): PodReport {
  const { state, detail: own } = stateOf(pod, optedIn, objectSelector);
  const detail = withRestart(own, pod.metadata?.annotations?.[RESTARTED_AT]);
  const created = pod.metadata?.creationTimestamp;
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    workload: workloadLabel(pod),
    state,
    detail,
    preload: state === 'injected' ? preloadVersion(pod) : undefined,
    created: created === undefined ? undefined : new Date(created).toISOString(),
  };
}
