// Renders charts/otel-injector with a real helm and extracts what the e2e
// tests install: the MutatingWebhookConfiguration exactly as rendered, with
// only clientConfig replaced so the API server calls the local webhook.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { loadAllYaml, type V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { helmBin } from '../support/tools.js';
import { repoRoot } from './harness.js';

const run = promisify(execFile);

export const chartDir = join(repoRoot, 'charts', 'otel-injector');
export const RELEASE = 'otel-injector';
export const RELEASE_NAMESPACE = 'otel-injector';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

/** `helm template` output (multi-document YAML). */
export async function renderChart(setValues: string[] = []): Promise<string> {
  const helm = await helmBin(3);
  const args = ['template', RELEASE, chartDir, '--namespace', RELEASE_NAMESPACE];
  for (const s of setValues) args.push('--set', s);
  const { stdout } = await run(helm, args, { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: join(repoRoot, '.cache', 'helm') } });
  return stdout;
}

export function parseManifests(yaml: string): Manifest[] {
  return (loadAllYaml(yaml) as Array<Manifest | null>).filter((m): m is Manifest => m !== null && typeof m === 'object');
}

/** The chart's MutatingWebhookConfiguration with each webhook's clientConfig pointed at `url`. */
export function pointWebhookAt(
  manifests: Manifest[],
  url: string,
  caPem: string,
): V1MutatingWebhookConfiguration {
  const found = manifests.filter((m) => m.kind === 'MutatingWebhookConfiguration');
  if (found.length !== 1) throw new Error(`chart rendered ${found.length} MutatingWebhookConfigurations, expected 1`);
  const mwc = structuredClone(found[0]) as unknown as V1MutatingWebhookConfiguration;
  const caBundle = Buffer.from(caPem).toString('base64');
  for (const w of mwc.webhooks ?? []) {
    w.clientConfig = { url, caBundle };
  }
  return mwc;
}

/** Rendered objects that are not Helm hooks (what `helm install` creates before hooks run). */
export function nonHooks(manifests: Manifest[]): Manifest[] {
  return manifests.filter((m) => {
    const annotations = (m.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    return annotations['helm.sh/hook'] === undefined;
  });
}

/**
 * The chart's MutatingWebhookConfiguration as rendered (service reference, no
 * caBundle), with only the service port changed to where the webhook listens.
 */
export function withServicePort(manifests: Manifest[], port: number): V1MutatingWebhookConfiguration {
  const found = manifests.filter((m) => m.kind === 'MutatingWebhookConfiguration');
  if (found.length !== 1) throw new Error(`chart rendered ${found.length} MutatingWebhookConfigurations, expected 1`);
  const mwc = structuredClone(found[0]) as unknown as V1MutatingWebhookConfiguration;
  for (const w of mwc.webhooks ?? []) {
    if (w.clientConfig.service === undefined) throw new Error(`webhook ${w.name} has no service reference`);
    w.clientConfig.service.port = port;
  }
  return mwc;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}

/** Literal env of the rendered Deployment's webhook container; metadata.namespace refs resolve to `namespace`. */
export function deploymentEnv(manifests: Manifest[], namespace: string): Record<string, string> {
  const deploy = manifests.find((m) => m.kind === 'Deployment') as
    | { spec?: { template?: { spec?: { containers?: Array<{ env?: EnvVar[] }> } } } }
    | undefined;
  const env = deploy?.spec?.template?.spec?.containers?.[0]?.env;
  if (env === undefined) throw new Error('chart rendered no Deployment with container env');
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') out[e.name] = namespace;
  }
  return out;
}
