// What the webhook did to a live pod, read from the pod alone.
import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { imageVersion } from '../inject/service.js';
import { ANNOTATION, RESTART } from '../k8s/contract/annotations.js';
import { ownerOf } from '../k8s/contract/owner.js';
import { parseStatus } from '../k8s/contract/status.js';
import { matches } from './selector.js';

export type PodState = 'injected' | 'skipped' | 'bypassed' | 'not-seen' | 'not-opted-in' | 'excluded';

export interface PodReport {
  readonly namespace: string;
  readonly name: string;
  /** `Deployment/checkout`, or `Pod/<name>` for a pod without a controller. */
  readonly workload: string;
  readonly state: PodState;
  readonly detail: string;
  /** Version (tag/digest) of the payload image of an injected pod (the status column PAYLOAD). */
  readonly payload: string | undefined;
  readonly created: string | undefined;
}

const INIT = /^otel-injector(-\d+)?$/;

/** `Kind/name` of the pod's owning workload (src/k8s/contract/owner.ts), `Pod/<name>` for a bare pod. */
export function workloadLabel(pod: V1Pod): string {
  const owner = ownerOf(pod.metadata);
  return `${owner.kind}/${owner.name}`;
}

function payloadVersion(pod: V1Pod): string | undefined {
  const init = (pod.spec?.initContainers ?? []).find((c) => INIT.test(c.name));
  // image-volume delivery: the payload image is the volume's reference
  const volume = (pod.spec?.volumes ?? []).find((v) => INIT.test(v.name) && v.image?.reference !== undefined);
  return imageVersion(init?.image ?? volume?.image?.reference);
}

function stateOf(pod: V1Pod, optedIn: boolean, objectSelector: V1LabelSelector | undefined): { state: PodState; detail: string } {
  const annotated = parseStatus(pod.metadata?.annotations?.[ANNOTATION.status]);
  if (annotated !== undefined) return annotated;
  if (!optedIn) return { state: 'not-opted-in', detail: 'namespace not selected by the webhook' };
  if (!matches(objectSelector, pod.metadata?.labels)) return { state: 'excluded', detail: 'objectSelector (the webhook\'s own pods)' };
  if (pod.metadata?.annotations?.[ANNOTATION.inject] === 'false') return { state: 'bypassed', detail: `annotation ${ANNOTATION.inject}=false` };
  return { state: 'not-seen', detail: `no ${ANNOTATION.status}: created while the webhook was down or before the namespace label; the controller reports it (restarts its workload in controller.mode=restart), or restart it yourself` };
}

function withRestart(detail: string, restartedAt: string | undefined): string {
  return restartedAt === undefined ? detail : `${detail}; its workload was restarted by the controller at ${restartedAt}`;
}

export function podReport(pod: V1Pod, optedIn: boolean, objectSelector: V1LabelSelector | undefined): PodReport {
  const { state, detail: own } = stateOf(pod, optedIn, objectSelector);
  const detail = withRestart(own, pod.metadata?.annotations?.[RESTART.restartedAt]);
  const created = pod.metadata?.creationTimestamp;
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    workload: workloadLabel(pod),
    state,
    detail,
    payload: state === 'injected' ? payloadVersion(pod) : undefined,
    created: created === undefined ? undefined : new Date(created).toISOString(),
  };
}
