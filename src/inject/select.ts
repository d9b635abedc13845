import type { InjectConfig } from '../config/index.js';
import { runtimesNamed, splitNames, type Runtime } from '../runtimes/index.js';
import { ANNOTATION } from '../k8s/contract/annotations.js';
import type { Container, Pod } from './types.js';

/** The containers `otel-injector.io/container-names` selects (default: every regular container). */
export function selectedContainers(pod: Pod): Container[] {
  const wanted = pod.metadata?.annotations?.[ANNOTATION.containerNames];
  if (wanted === undefined || wanted.trim() === '') return pod.spec.containers;
  const names = new Set(wanted.split(',').map((name) => name.trim()));
  return pod.spec.containers.filter((container) => names.has(container.name));
}

export type RuntimeSelection =
  | { readonly runtimes: readonly Runtime[]; readonly skip?: undefined }
  | { readonly skip: string };

/**
 * The runtimes for this pod: INJECT_RUNTIMES, narrowed by the pod's `otel-injector.io/runtimes` annotation
 * (intersection; names it has that are unknown or not configured are ignored). An annotation that leaves
 * nothing is a skip with the reason.
 */
export function selectedRuntimes(pod: Pod, config: InjectConfig): RuntimeSelection {
  const configured = runtimesNamed(config.runtimes);
  const annotation = pod.metadata?.annotations?.[ANNOTATION.runtimes];
  if (annotation === undefined || annotation.trim() === '') return { runtimes: configured };
  const wanted = new Set(splitNames(annotation));
  const runtimes = configured.filter((runtime) => wanted.has(runtime.name));
  if (runtimes.length > 0) return { runtimes };
  return {
    skip: `${ANNOTATION.runtimes} "${annotation.trim()}" names no configured runtime (configured: ${config.runtimes.join(',')})`,
  };
}
