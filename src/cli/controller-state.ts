// status: is the controller (the Deployment that reports or restarts workloads whose pods the webhook
// never handled) running, and who leads it. Read from its leader-election Lease (named after the webhook
// configuration, src/k8s/contract/lease.ts, in the webhook Service's namespace); never fails the command.
import type { V1Lease } from '@kubernetes/client-node';
import { statusOf } from '../k8s/contract/api.js';
import { controllerLeaseName } from '../k8s/contract/lease.js';
import type { Kube } from './kube.js';
import type { WebhookView } from './webhook-config.js';

export interface ControllerState {
  readonly lease: string;
  readonly text: string;
}

const NOT_RUNNING = 'pods in state not-seen stay so until their workloads restart (chart value controller.mode=report reports them, restart rolls them)';

/** The text for a Lease that exists: a live holder, or none. */
export function leaseText(found: V1Lease, lease: string, nowMs: number): string {
  const spec = found.spec ?? {};
  const renewMs = spec.renewTime === undefined ? 0 : new Date(spec.renewTime).getTime();
  const age = Math.max(0, Math.round((nowMs - renewMs) / 1000));
  const holder = spec.holderIdentity ?? '';
  if (holder === '' || age > (spec.leaseDurationSeconds ?? 15)) return `no leader (Lease ${lease} last renewed ${age} s ago): ${NOT_RUNNING}`;
  return `running, leader ${holder} (Lease ${lease} renewed ${age} s ago); see its Events (reason Uninstrumented) and logs`;
}

function errorText(error: unknown, lease: string): string {
  const code = statusOf(error);
  if (code === 404) return `not running (no Lease ${lease}; controller.mode=off?): ${NOT_RUNNING}`;
  if (code === 403) return `unknown (not allowed to get the Lease ${lease})`;
  return `unknown (${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)})`;
}

export async function controllerState(kube: Kube, webhook: WebhookView, nowMs: number): Promise<ControllerState | undefined> {
  const namespace = webhook.entry?.clientConfig.service?.namespace;
  if (namespace === undefined) return undefined;
  const name = controllerLeaseName(webhook.name);
  const lease = `${namespace}/${name}`;
  try {
    return { lease, text: leaseText(await kube.coordination.readNamespacedLease({ name, namespace }), lease, nowMs) };
  } catch (error) {
    return { lease, text: errorText(error, lease) };
  }
}
