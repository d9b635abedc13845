import { parseConfig, type InjectConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { listOption, outputOption, stringOption, type Values } from './args.js';
import { CliError, EXIT, inputError, usageError } from './errors.js';
import type { CliIo } from './io.js';
import { readManifests, readText } from './manifests.js';
import { previewWorkload, type Preview } from './preview-core.js';
import { ignoredText, manifestsJson, manifestsYaml, mutatedManifest, patchJson, previewText, summaryText } from './preview-format.js';
import { injectEnvOf, mergedValues } from './values.js';
import { admittedPod, type Ignored } from './workloads.js';
import { resolve } from 'node:path';

const OUTPUTS = ['text', 'yaml', 'json', 'patch'] as const;
const FAIL_ON = ['skipped', 'bypassed', 'error', 'not-sent', 'ignored'] as const;
type FailOn = (typeof FAIL_ON)[number];

function failOnOption(values: Values): FailOn[] {
  const text = stringOption(values, 'fail-on');
  if (text === undefined) return [];
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const unknown = items.filter((item) => !(FAIL_ON as readonly string[]).includes(item));
  if (unknown.length > 0 || items.length === 0) throw usageError(`--fail-on ${text}: expected a comma list of ${FAIL_ON.join(', ')}`);
  return items as FailOn[];
}

/** The injection configuration: the chart values files when given, else the webhook's INJECT_* variables. */
async function injectConfig(values: Values, io: CliIo): Promise<{ config: InjectConfig; from: string }> {
  const files = listOption(values, 'values');
  let env: Record<string, string | undefined>;
  let from: string;
  if (files.length > 0) {
    const texts = [];
    for (const file of files) texts.push({ name: file, text: await readText(resolve(io.cwd, file), file) });
    env = injectEnvOf(mergedValues(texts), io.version);
    from = `chart values ${files.join(', ')}`;
  } else {
    // Only the injection's variables: a LOG_LEVEL or PORT of the user's shell is not the webhook's.
    env = Object.fromEntries(Object.entries(io.env).filter(([key]) => key.startsWith('INJECT_')));
    from = 'environment';
  }
  try {
    return { config: parseConfig(env, io.version).inject, from };
  } catch (error) {
    if (error instanceof ConfigError) throw inputError(`invalid configuration (${from}): ${error.message}`);
    throw error;
  }
}

function failures(previews: readonly Preview[], ignored: readonly Ignored[], failOn: readonly FailOn[]): string[] {
  const hits = previews.filter((p) => (failOn as readonly string[]).includes(p.decision)).map((p) => `${p.workload.kind} ${p.workload.namespace}/${p.workload.name} (${p.decision}: ${p.reason})`);
  if (failOn.includes('ignored')) hits.push(...ignored.map((i) => `${i.kind} ${i.name} (ignored: ${i.reason})`));
  return hits;
}

export async function runPreview(values: Values, io: CliIo): Promise<number> {
  const files = listOption(values, 'filename');
  if (files.length === 0) throw usageError('preview: -f FILE is required (- reads standard input)');
  const output = outputOption(values, OUTPUTS, 'text');
  const failOn = failOnOption(values);
  const { config } = await injectConfig(values, io);
  const items = await readManifests(files, io);
  const context = { namespace: stringOption(values, 'namespace'), now: io.now() };
  const previews: Preview[] = [];
  const ignored: Ignored[] = [];
  const objects = items.map((item) => {
    const admitted = admittedPod(item, context);
    if (admitted.type === 'ignored') {
      ignored.push(admitted);
      return mutatedManifest(item, undefined);
    }
    const preview = previewWorkload(admitted, config);
    previews.push(preview);
    return mutatedManifest(item, preview);
  });
  if (output === 'text') {
    for (const preview of previews) io.stdout(`${previewText(preview)}\n`);
    for (const item of ignored) io.stdout(ignoredText(item));
    io.stdout(summaryText(previews, ignored));
  } else {
    for (const item of ignored) io.stderr(`otel-injector: ${ignoredText(item)}`);
    if (output === 'patch') io.stdout(patchJson(previews));
    else io.stdout(output === 'yaml' ? manifestsYaml(objects) : manifestsJson(objects));
  }
  if (items.length === 0) throw inputError(`no Kubernetes objects in ${files.join(', ')}`);
  const hits = failures(previews, ignored, failOn);
  if (hits.length > 0) {
    throw new CliError('CLI_FAIL_ON', `--fail-on ${failOn.join(',')}: ${hits.length} matched: ${hits.join('; ')}`, EXIT.failed);
  }
  return EXIT.ok;
}
