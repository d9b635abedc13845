// What `preview` says about where an instrumented container sends and with which credentials, read
// from the admitted container's env and the pod's volumes: endpoints, the CA and client certificate files and the
// Secret they come from, the headers' Secret. References only: preview never reads or prints a Secret's value.
import type { Obj } from './workloads.js';

type Env = Array<{ name?: unknown; value?: unknown; valueFrom?: { secretKeyRef?: { name?: unknown; key?: unknown } } }>;

function lastEntry(env: Env, name: string): Env[number] | undefined {
  return env.filter((entry) => entry.name === name).at(-1);
}

function literal(env: Env, name: string): string | undefined {
  const value = lastEntry(env, name)?.value;
  return typeof value === 'string' ? value : undefined;
}

/** The Secret mounted at the directory holding `file`, when one of the pod's volumes is a Secret volume. */
function secretOf(file: string, container: Obj, pod: Obj): string | undefined {
  const mounts = (Array.isArray(container.volumeMounts) ? container.volumeMounts : []) as Array<{ name?: unknown; mountPath?: unknown }>;
  const mount = mounts.find((m) => typeof m.mountPath === 'string' && file.startsWith(`${m.mountPath}/`));
  const volumes = (Array.isArray((pod.spec as Obj | undefined)?.volumes) ? (pod.spec as Obj).volumes : []) as Array<{ name?: unknown; secret?: { secretName?: unknown } }>;
  const name = volumes.find((v) => v.name === mount?.name)?.secret?.secretName;
  return typeof name === 'string' ? name : undefined;
}

function fileLine(label: string, file: string | undefined, container: Obj, pod: Obj): string[] {
  if (file === undefined) return [];
  const secret = secretOf(file, container, pod);
  return [`${label} ${file}${secret === undefined ? '' : ` (Secret ${secret}, read-only)`}`];
}

/** The lines, indented by the caller; [] for a plain http:// container with no credentials. */
export function collectorLines(container: Obj, pod: Obj): string[] {
  const env = (Array.isArray(container.env) ? container.env : []) as Env;
  const endpoint = literal(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const signals = ['TRACES', 'METRICS', 'LOGS']
    .map((signal) => [signal.toLowerCase(), literal(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`)] as const)
    .filter(([, url]) => url !== undefined)
    .map(([signal, url]) => `${signal} ${url}`);
  const lines: string[] = [];
  if (endpoint !== undefined || signals.length > 0) lines.push(`collector: ${[endpoint, ...signals].filter((x) => x !== undefined).join('; ')}`);
  lines.push(...fileLine('tls: CA', literal(env, 'OTEL_EXPORTER_OTLP_CERTIFICATE'), container, pod));
  lines.push(...fileLine('tls: client certificate', literal(env, 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'), container, pod));
  lines.push(...fileLine('tls: client key', literal(env, 'OTEL_EXPORTER_OTLP_CLIENT_KEY'), container, pod));
  const ref = lastEntry(env, 'OTEL_EXPORTER_OTLP_HEADERS')?.valueFrom?.secretKeyRef;
  const file = literal(env, 'OTEL_INJECTOR_HEADERS_FILE');
  if (ref !== undefined) {
    lines.push(`headers: from Secret ${String(ref.name)} key ${String(ref.key)}${file === undefined ? '' : `, re-read from ${file}`} (value not shown)`);
  } else if (literal(env, 'OTEL_EXPORTER_OTLP_HEADERS') !== undefined) {
    lines.push('headers: set by the container (value not shown)');
  }
  return lines;
}
