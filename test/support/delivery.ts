// Delivery support snapshots as the controller publishes them (src/k8s/contract/delivery.ts), for tests.
import { nodeSupport, type DeliverySnapshot, type NodeSupport, type NodeTaint } from '../../src/k8s/contract/delivery.js';
import type { DeliverySupport } from '../../src/inject/types.js';

export const NOW = Date.parse('2026-12-07T12:00:00Z');

/** A node as the controller judges it from its runtime and kubelet versions. */
export function node(name: string, runtime = 'containerd://2.3.7', options: { labels?: Record<string, string>; taints?: NodeTaint[]; kubelet?: string } = {}): NodeSupport {
  const kubelet = options.kubelet ?? 'v1.37.2';
  return { name, labels: { 'kubernetes.io/hostname': name, ...options.labels }, taints: options.taints ?? [], runtime, kubelet, ...nodeSupport(runtime, kubelet) };
}

export function snapshot(nodes: NodeSupport[], options: { imageVolumeField?: boolean | null; ageSeconds?: number } = {}): DeliverySnapshot {
  const observedAt = new Date(NOW - (options.ageSeconds ?? 30) * 1000).toISOString();
  return { version: 1, observedAt, imageVolumeField: options.imageVolumeField === undefined ? true : options.imageVolumeField, nodes };
}

export const support = (snap: DeliverySnapshot | undefined): DeliverySupport => ({ snapshot: snap, nowMs: NOW });
