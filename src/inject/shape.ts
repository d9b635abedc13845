import { UnsupportedObjectError } from '../errors.js';
import type { Pod } from './types.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, expected: string): never {
  throw new UnsupportedObjectError(`${path} is not ${expected}`);
}

function optionalList(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, 'a list');
  return value as unknown[];
}

function namedItems(list: unknown[], path: string, extra?: string): void {
  list.forEach((item, index) => {
    if (!isObject(item) || typeof item.name !== 'string') fail(`${path}[${index}]`, 'an object with a name');
    if (extra !== undefined && typeof item[extra] !== 'string') fail(`${path}[${index}].${extra}`, 'a string');
  });
}

function optionalString(value: unknown, path: string): void {
  if (value !== undefined && typeof value !== 'string') fail(path, 'a string');
}

function optionalObject(value: unknown, path: string): void {
  if (value !== undefined && !isObject(value)) fail(path, 'an object');
}

function checkEnv(list: unknown[], path: string): void {
  namedItems(list, path);
  list.forEach((item, index) => {
    const entry = item as Json;
    optionalString(entry.value, `${path}[${index}].value`);
    optionalObject(entry.valueFrom, `${path}[${index}].valueFrom`);
  });
}

function stringMap(value: unknown, path: string): void {
  if (value === undefined || value === null) return;
  if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    fail(path, 'a map of strings');
  }
}

function checkContainers(value: unknown, path: string): void {
  const containers = optionalList(value, path);
  namedItems(containers, path);
  containers.forEach((item, index) => {
    const container = item as Json;
    optionalString(container.image, `${path}[${index}].image`);
    checkEnv(optionalList(container.env, `${path}[${index}].env`), `${path}[${index}].env`);
    optionalList(container.envFrom, `${path}[${index}].envFrom`);
    const mounts = optionalList(container.volumeMounts, `${path}[${index}].volumeMounts`);
    namedItems(mounts, `${path}[${index}].volumeMounts`, 'mountPath');
  });
}

function checkMetadata(value: unknown): void {
  if (value === undefined) return;
  if (!isObject(value)) fail('metadata', 'an object');
  optionalString(value.name, 'metadata.name');
  optionalString(value.generateName, 'metadata.generateName');
  stringMap(value.labels, 'metadata.labels');
  stringMap(value.annotations, 'metadata.annotations');
  namedItems(optionalList(value.ownerReferences, 'metadata.ownerReferences'), 'metadata.ownerReferences', 'kind');
}

/**
 * Checks that the admitted object has the shape the injector relies on, and narrows its type.
 * Throws UnsupportedObjectError (the review is then allowed untouched with a warning).
 */
export function asPod(object: unknown): Pod {
  if (!isObject(object)) fail('object', 'a JSON object');
  checkMetadata(object.metadata);
  if (!isObject(object.spec)) fail('spec', 'an object');
  const spec = object.spec;
  if (!Array.isArray(spec.containers)) fail('spec.containers', 'a list');
  checkContainers(spec.containers, 'spec.containers');
  checkContainers(spec.initContainers, 'spec.initContainers');
  checkContainers(spec.ephemeralContainers, 'spec.ephemeralContainers');
  namedItems(optionalList(spec.volumes, 'spec.volumes'), 'spec.volumes');
  if (spec.os !== undefined && spec.os !== null) {
    optionalObject(spec.os, 'spec.os');
    optionalString((spec.os as Json).name, 'spec.os.name');
  }
  return object as Pod;
}
