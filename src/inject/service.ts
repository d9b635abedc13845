import type { InjectConfig } from '../config/index.js';
import { ANNOTATION } from '../k8s/contract/annotations.js';
import { LABEL } from '../k8s/contract/labels.js';
import type { Container, ObjectMeta } from './types.js';
import { podNameOf, workloadOf, type Workload } from './workload.js';

/** Downward-API values only the kubelet knows; referenced as $(VAR) in env values. */
export type FieldRef = 'metadata.name' | 'metadata.uid' | 'spec.nodeName';

/** A resource attribute value: literal text and references to downward-API variables. */
export type ValuePart = string | { readonly fieldRef: FieldRef };

export interface ResourceAttribute {
  readonly key: string;
  readonly value: readonly ValuePart[];
}

/** What is known about the pod before looking at one container. */
export interface PodFacts {
  readonly meta: ObjectMeta | undefined;
  readonly namespace: string;
  readonly workload: Workload;
  readonly useWellKnownLabels: boolean;
}

export function podFacts(meta: ObjectMeta | undefined, namespace: string, config: InjectConfig): PodFacts {
  return { meta, namespace, workload: workloadOf(meta), useWellKnownLabels: config.useWellKnownLabels };
}

function nonEmpty(...values: Array<string | undefined>): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '');
}

function resourceAnnotation(meta: ObjectMeta | undefined, key: string): string | undefined {
  return meta?.annotations?.[`${ANNOTATION.resourcePrefix}${key}`];
}

function label(facts: PodFacts, key: string): string | undefined {
  return facts.useWellKnownLabels ? facts.meta?.labels?.[key] : undefined;
}

/** service.name per the OpenTelemetry semantic conventions for Kubernetes. */
export function serviceNameOf(facts: PodFacts, container: Container): string {
  const { meta } = facts;
  return (
    nonEmpty(
      resourceAnnotation(meta, 'service.name'),
      meta?.annotations?.[ANNOTATION.serviceName],
      label(facts, LABEL.instance),
      label(facts, LABEL.name),
      facts.workload.name,
      podNameOf(meta),
    ) ?? container.name
  );
}

/** Tag and digest of an image reference (`registry:5000/app:1.2@sha256:…`). */
export function imageVersion(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const [name = '', digest] = image.split('@', 2);
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
  if (tag !== undefined && tag !== '' && digest !== undefined) return `${tag}@${digest}`;
  return nonEmpty(digest, tag);
}

function serviceVersionOf(facts: PodFacts, container: Container): string | undefined {
  return nonEmpty(resourceAnnotation(facts.meta, 'service.version'), label(facts, LABEL.version), imageVersion(container.image));
}

function serviceInstanceId(facts: PodFacts, container: Container): readonly ValuePart[] {
  const fromAnnotation = resourceAnnotation(facts.meta, 'service.instance.id');
  if (fromAnnotation !== undefined && fromAnnotation.trim() !== '') return [fromAnnotation];
  return [`${facts.namespace}.`, { fieldRef: 'metadata.name' }, `.${container.name}`];
}

const HANDLED = new Set(['service.name', 'service.namespace', 'service.version', 'service.instance.id']);

function annotationAttributes(meta: ObjectMeta | undefined): ResourceAttribute[] {
  return Object.entries(meta?.annotations ?? {})
    .filter(([key]) => key.startsWith(ANNOTATION.resourcePrefix))
    .map(([key, value]) => [key.slice(ANNOTATION.resourcePrefix.length), value] as const)
    .filter(([key]) => key !== '' && !HANDLED.has(key))
    .map(([key, value]) => ({ key, value: [value] }));
}

/**
 * Resource attributes for one container (service.name goes to OTEL_SERVICE_NAME, not here): the k8s.*
 * attributes, the workload, service.namespace/version/instance.id and every other
 * `resource.opentelemetry.io/<key>` annotation.
 */
export function resourceAttributesOf(facts: PodFacts, container: Container): ResourceAttribute[] {
  const attributes: ResourceAttribute[] = [
    { key: 'k8s.namespace.name', value: [facts.namespace] },
    { key: 'k8s.pod.name', value: [{ fieldRef: 'metadata.name' }] },
    { key: 'k8s.pod.uid', value: [{ fieldRef: 'metadata.uid' }] },
    { key: 'k8s.node.name', value: [{ fieldRef: 'spec.nodeName' }] },
    { key: 'k8s.container.name', value: [container.name] },
    ...facts.workload.attributes.map(([key, value]) => ({ key, value: [value] })),
    {
      key: 'service.namespace',
      value: [nonEmpty(resourceAnnotation(facts.meta, 'service.namespace')) ?? facts.namespace],
    },
  ];
  const version = serviceVersionOf(facts, container);
  if (version !== undefined) attributes.push({ key: 'service.version', value: [version] });
  attributes.push({ key: 'service.instance.id', value: serviceInstanceId(facts, container) });
  // An explicit `resource.opentelemetry.io/<key>` annotation wins over what is derived.
  const annotated = annotationAttributes(facts.meta);
  const overridden = new Set(annotated.map((attribute) => attribute.key));
  return [...attributes.filter((attribute) => !overridden.has(attribute.key)), ...annotated];
}
