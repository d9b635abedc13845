import { stringify } from 'yaml';
import { ANNOTATION } from '../k8s/contract/annotations.js';
import { unifiedDiff } from './diff.js';
import { collectorLines } from './preview-collector.js';
import { telemetryOf, type Preview } from './preview-core.js';
import type { Ignored, Obj, PodTemplate } from './workloads.js';
import type { SourcedObject } from './manifests.js';

const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

function templateView(pod: Obj): Obj {
  const meta = (pod.metadata ?? {}) as Obj;
  const metadata: Obj = {};
  if (meta.labels !== undefined) metadata.labels = meta.labels;
  if (meta.annotations !== undefined) metadata.annotations = meta.annotations;
  return { metadata, spec: pod.spec };
}

function status(pod: Obj): string | undefined {
  const annotations = (pod.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;
  return annotations?.[ANNOTATION.status];
}

function decisionLine(preview: Preview): string {
  const annotation = status(preview.admitted);
  const note = annotation === undefined ? '' : `  [otel-injector.io/status: ${annotation}]`;
  return `  decision: ${preview.decision} (${preview.reason})${note}`;
}

function telemetryLines(preview: Preview): string[] {
  const containers = ((preview.admitted.spec as { containers?: Obj[] } | undefined)?.containers ?? []);
  return telemetryOf(preview).flatMap((c) => {
    const container = containers.find((item) => item.name === c.container) ?? {};
    return [
      `  container ${c.container}: service.name=${c.serviceName}`,
      ...c.attributes.map(([key, value]) => `      ${key}=${value}`),
      ...collectorLines(container, preview.admitted).map((line) => `    ${line}`),
    ];
  });
}

export function previewText(preview: Preview): string {
  const { workload } = preview;
  const lines = [`${workload.kind} ${workload.namespace}/${workload.name}  (pod ${workload.podName}; ${workload.source})`, decisionLine(preview)];
  for (const warning of preview.warnings) lines.push(`  warning: ${warning}`);
  lines.push(...telemetryLines(preview));
  const diff = unifiedDiff(stringify(templateView(workload.pod), YAML_OPTIONS).trimEnd(), stringify(templateView(preview.admitted), YAML_OPTIONS).trimEnd(), [
    'pod template (as admitted)',
    'pod template (after otel-injector)',
  ]);
  lines.push(diff === '' ? '  no change' : diff.split('\n').map((line) => `  ${line}`).join('\n'));
  return `${lines.join('\n')}\n`;
}

export function ignoredText(ignored: Ignored): string {
  return `ignored: ${ignored.kind} ${ignored.name} (${ignored.source}): ${ignored.reason}\n`;
}

export function summaryText(previews: readonly Preview[], ignored: readonly Ignored[]): string {
  const count = (decision: string): number => previews.filter((p) => p.decision === decision).length;
  const parts = ['injected', 'skipped', 'bypassed', 'not-sent', 'error'].map((d) => `${count(d)} ${d}`);
  return `${previews.length} workloads: ${parts.join(', ')}; ${ignored.length} ignored\n`;
}

/** The input object with its pod template replaced by what the webhook would admit. */
export function mutatedManifest(item: SourcedObject, preview: Preview | undefined): Obj {
  if (preview === undefined) return item.object;
  const kind = item.object.kind;
  if (kind === 'Pod' || kind === 'AdmissionReview') return preview.admitted;
  const copy = structuredClone(item.object) as Obj;
  const holder = (kind === 'CronJob' ? ((copy.spec as Obj).jobTemplate as Obj).spec : copy.spec) as Obj;
  const template = holder.template as PodTemplate;
  const admittedMeta = preview.admitted.metadata as { annotations?: Record<string, string> };
  const metadata = { ...(template.metadata ?? {}) };
  if (admittedMeta.annotations !== undefined) metadata.annotations = admittedMeta.annotations;
  holder.template = { ...template, metadata, spec: preview.admitted.spec };
  return copy;
}

export function patchJson(previews: readonly Preview[]): string {
  const out = previews.map((p) => ({
    kind: p.workload.kind,
    namespace: p.workload.namespace,
    name: p.workload.name,
    decision: p.decision,
    reason: p.reason,
    patch: p.patch,
  }));
  return `${JSON.stringify(out, null, 2)}\n`;
}

export function manifestsYaml(objects: readonly Obj[]): string {
  return objects.map((object) => stringify(object, YAML_OPTIONS)).join('---\n');
}

export function manifestsJson(objects: readonly Obj[]): string {
  const body = objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
  return `${JSON.stringify(body, null, 2)}\n`;
}
