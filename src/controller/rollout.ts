// Pure: where a workload's rollout stands, and whether the controller may restart it for a finding.
import { ANNOTATION, RESTART, type RestartState } from '../k8s/contract/annotations.js';
import { timeMs } from './classify.js';
import type { Finding, RestartableKind, WorkloadObject } from './types.js';

export type RolloutStatus = { readonly state: 'complete' } | { readonly state: 'progressing' } | { readonly state: 'failed'; readonly message: string };

const PROGRESSING: RolloutStatus = { state: 'progressing' };
const COMPLETE: RolloutStatus = { state: 'complete' };

function observed(w: WorkloadObject): boolean {
  return (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
}

type Count = 'replicas' | 'updatedReplicas' | 'availableReplicas' | 'readyReplicas';
/** A status count, 0 when absent. */
const count = (w: WorkloadObject, field: Count): number => w.status?.[field] ?? 0;
const wanted = (w: WorkloadObject): number => w.spec?.replicas ?? 1;

function deploymentStatus(w: WorkloadObject): RolloutStatus {
  const stuck = w.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stuck !== undefined) return { state: 'failed', message: stuck.message ?? 'progress deadline exceeded' };
  const updated = count(w, 'updatedReplicas');
  const done = updated >= wanted(w) && count(w, 'replicas') <= updated && count(w, 'availableReplicas') >= updated;
  return done ? COMPLETE : PROGRESSING;
}

const partitionOf = (w: WorkloadObject): number => w.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
const revisionsDiffer = (w: WorkloadObject): boolean => w.status?.updateRevision !== w.status?.currentRevision;

function statefulSetStatus(w: WorkloadObject): RolloutStatus {
  const partition = partitionOf(w);
  if (count(w, 'updatedReplicas') < wanted(w) - partition) return PROGRESSING;
  if (partition === 0 && revisionsDiffer(w)) return PROGRESSING;
  return count(w, 'readyReplicas') >= wanted(w) ? COMPLETE : PROGRESSING;
}

function daemonSetStatus(w: WorkloadObject): RolloutStatus {
  const s = w.status ?? {};
  const want = s.desiredNumberScheduled ?? 0;
  return (s.updatedNumberScheduled ?? 0) >= want && (s.numberAvailable ?? 0) >= want ? COMPLETE : PROGRESSING;
}

/** The same rules as `kubectl rollout status` for the three kinds. */
export function rolloutStatus(kind: RestartableKind, w: WorkloadObject): RolloutStatus {
  if (!observed(w)) return PROGRESSING;
  if (kind === 'Deployment') return deploymentStatus(w);
  return kind === 'StatefulSet' ? statefulSetStatus(w) : daemonSetStatus(w);
}

/** matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) of a label selector against labels. */
export function selectorMatches(selector: NonNullable<WorkloadObject['spec']>['selector'], labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabels && (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    const inValues = has && (e.values ?? []).includes(labels[e.key] as string);
    return e.operator === 'In' ? inValues : !inValues;
  });
}

/** When our last restart was triggered (template `restarted-at`), 0 if never. */
export function restartedAtMs(w: WorkloadObject): number {
  return timeMs(w.spec?.template?.metadata?.annotations?.[RESTART.restartedAt]);
}

export type Decision =
  | { readonly action: 'restart' }
  | { readonly action: 'adopt' } // our rollout is under way: wait for it, count it in the limit
  | { readonly action: 'skip'; readonly why: string };

const BLOCKERS: ReadonlyArray<[(w: WorkloadObject, f: Finding) => boolean, string]> = [
  [(w, f) => f.owner.podLabels !== undefined && !selectorMatches(w.spec?.selector, f.owner.podLabels), 'its selector does not match the pods (not their owner)'],
  [(w) => w.spec?.template?.metadata?.annotations?.[ANNOTATION.inject] === 'false', 'its pod template opts out (otel-injector.io/inject=false)'],
  [(w) => w.spec?.paused === true, 'it is paused'],
  [(w) => w.spec?.updateStrategy?.type === 'OnDelete', 'its update strategy is OnDelete: a restart would not replace its pods'],
];

function blockedBy(w: WorkloadObject, finding: Finding): string | undefined {
  return BLOCKERS.find(([blocks]) => blocks(w, finding))?.[1];
}

/**
 * Whether to restart `w` for `finding`. The workload carries our last restart (template `restarted-at`,
 * metadata `restart-state`, `restart-done-at`), so every replica and every leader decides the same:
 * - a rollout of ours still running is adopted (waited for), never started again;
 * - pods created from our restart up to its completion that are still uninstrumented are the result of
 *   that restart: never restarted twice for them (reported instead);
 * - pods created after the restart completed are a new occurrence (e.g. the webhook was down later).
 */
export function decide(w: WorkloadObject, finding: Finding): Decision {
  const blocked = blockedBy(w, finding);
  if (blocked !== undefined) return { action: 'skip', why: blocked };
  const meta = w.metadata?.annotations ?? {};
  const state = meta[RESTART.state] as RestartState | undefined;
  if (state === 'failed') return { action: 'skip', why: `an earlier restart failed (remove the annotation ${RESTART.state} to allow another)` };
  const restartedMs = restartedAtMs(w);
  if (restartedMs === 0 || state === undefined) return { action: 'restart' };
  if (state === 'rolling') return { action: 'adopt' };
  return afterOurRestart(restartedMs, timeMs(meta[RESTART.doneAt]), finding);
}

/** Our last restart is done: only pods newer than its completion make a new occurrence. */
function afterOurRestart(restartedMs: number, doneMs: number, finding: Finding): Decision {
  if (Math.max(...finding.createdMs) > doneMs) return { action: 'restart' };
  const fromRestart = finding.createdMs.some((ms) => ms >= restartedMs - 1000);
  return { action: 'skip', why: fromRestart ? 'already restarted once for this: its new pods were not instrumented either' : 'already restarted; these pods predate that restart' };
}

/** JSON merge patch that rolls the workload (as `kubectl rollout restart` does) and records why, guarded by resourceVersion. */
export function restartPatch(w: WorkloadObject, reason: string, now: Date): object {
  return {
    metadata: { resourceVersion: w.metadata?.resourceVersion, annotations: { [RESTART.reason]: reason, [RESTART.state]: 'rolling', [RESTART.doneAt]: null } },
    spec: { template: { metadata: { annotations: { [RESTART.restartedAt]: now.toISOString() } } } },
  };
}

/** Merge patch that records the end of our rollout on the workload's metadata (no rollout). */
export function endPatch(state: 'done' | 'failed', now: Date): object {
  return { metadata: { annotations: { [RESTART.state]: state, [RESTART.doneAt]: now.toISOString() } } };
}
