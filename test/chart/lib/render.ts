// Runs the real helm binary (3 or 4) on charts/otel-injector and parses what it renders.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBin, repoRoot } from '../../support/tools.js';

export const chartDir = join(repoRoot, 'charts', 'otel-injector');
export const RELEASE = 'otel';
export const NAMESPACE = 'observability';
export const FULLNAME = 'otel-otel-injector';
export const HELM_MAJORS: readonly (3 | 4)[] = [3, 4];

export type Obj = Record<string, unknown>;

export interface Manifest extends Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const helmHome = join(repoRoot, '.cache', 'helm');

/** Runs helm with its cache/config/data under .cache/helm; never throws on a non-zero exit. */
export async function helm(major: 3 | 4, args: readonly string[]): Promise<HelmResult> {
  const bin = await helmBin(major);
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  return new Promise((resolve, reject) => {
    execFile(bin, [...args], { env, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
}

/** `helm template` with the given values (written to a values file); returns the raw result. */
export async function template(major: 3 | 4, values: Obj = {}, extraArgs: readonly string[] = []): Promise<HelmResult> {
  const dir = await mkdtemp(join(tmpdir(), 'otel-chart-'));
  try {
    const file = join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    return await helm(major, ['template', RELEASE, chartDir, '--namespace', NAMESPACE, '-f', file, ...extraArgs]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS();
    if (value !== null && typeof value === 'object') out.push(value as Manifest);
  }
  return out;
}

/** Renders and parses; throws with helm's stderr when rendering fails. */
export async function render(major: 3 | 4, values: Obj = {}): Promise<Manifest[]> {
  const result = await template(major, values);
  if (result.code !== 0) throw new Error(`helm ${major} template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

export function all(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

/** The one object of this kind (and name, if given); throws when there is not exactly one. */
export function one(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = all(manifests, kind).filter((m) => name === undefined || m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${found.length}`);
  return found[0] as Manifest;
}

export function isHook(m: Manifest): boolean {
  return m.metadata.annotations?.['helm.sh/hook'] !== undefined;
}

export function dig(value: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Obj;
}

function containersOf(deployment: Manifest): Obj[] {
  return (dig(deployment, 'spec', 'template', 'spec', 'containers') ?? []) as Obj[];
}

/** The one Deployment running a container of this name (`webhook` or `controller`); throws unless exactly one. */
export function deploymentWith(manifests: readonly Manifest[], container: 'webhook' | 'controller'): Manifest {
  const found = all(manifests, 'Deployment').filter((d) => containersOf(d).some((c) => c.name === container));
  if (found.length !== 1) throw new Error(`expected one Deployment with a ${container} container, found ${found.length}`);
  return found[0] as Manifest;
}

/** The container of this name in its Deployment. */
export function containerOf(manifests: readonly Manifest[], container: 'webhook' | 'controller'): Obj {
  return containersOf(deploymentWith(manifests, container)).find((c) => c.name === container) as Obj;
}

/** The env of the Deployment's webhook container. */
export function webhookEnv(manifests: readonly Manifest[]): EnvVar[] {
  return (containerOf(manifests, 'webhook').env ?? []) as EnvVar[];
}

/** The env of the controller Deployment's container. */
export function controllerEnv(manifests: readonly Manifest[]): EnvVar[] {
  return (containerOf(manifests, 'controller').env ?? []) as EnvVar[];
}

/** Literal env values by name (valueFrom entries are left out). */
export function envMap(env: readonly EnvVar[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) if (typeof e.value === 'string') out[e.name] = e.value;
  return out;
}
