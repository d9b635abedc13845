// JDKs on this machine and the environment a Java container gets from the webhook (src/inject/container.ts:
// the OTEL_* settings every runtime gets, and JAVA_TOOL_OPTIONS as the java runtime extends it), with the
// mount path pointing at the built payload (dist/payload/), so the JVM loads the very jar the init image ships.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testConfig } from '../../../../../test/support/admission.js';
import { injectContainer, planContainer } from '../../../../inject/container.js';
import { podFacts } from '../../../../inject/service.js';
import type { Container, EnvVar } from '../../../../inject/types.js';
import { envValueText, kubeletEnv } from '../../../../../test/support/kubelet-env.js';
import { java, javaagentFlag } from '../../runtime.js';
import { ROOT } from './apps.js';

export interface Jdk { readonly name: string; readonly java: string }

const JDKS: ReadonlyArray<{ name: string; home: string }> = [
  { name: 'jdk17', home: '/usr/lib/jvm/java-17-openjdk-amd64' },
  { name: 'jdk25', home: '/usr/lib/jvm/temurin-25-jdk-amd64' },
];

/** The JDKs present (a missing one is reported by the caller as a skip with its path). */
export function jdks(): { present: Jdk[]; missing: string[] } {
  const present: Jdk[] = [];
  const missing: string[] = [];
  for (const { name, home } of JDKS) {
    const java = join(home, 'bin', 'java');
    if (existsSync(java)) present.push({ name, java });
    else missing.push(`${name} (${java})`);
  }
  return { present, missing };
}

/** The webhook's JAVA_TOOL_OPTIONS entry with the mount at dist/payload (so <mount>/java/ is the built payload). */
export function agentOption(): string {
  return javaagentFlag(testConfig({ INJECT_MOUNT_PATH: join(ROOT, 'dist', 'payload') }).inject);
}

/**
 * What the container's JVM sees: the env the webhook writes for a container with `userEnv` (planContainer +
 * injectContainer with the collector at `endpoint` and the mount at dist/payload), as the kubelet computes
 * it (downward-API values stand as their markers), plus `extra` (short export intervals, the app's own
 * settings: what a user could set the same way).
 */
export function injectedEnv(service: string, endpoint: string, userEnv: EnvVar[] = [], extra: Record<string, string> = {}): Record<string, string> {
  const config = testConfig({ INJECT_MOUNT_PATH: join(ROOT, 'dist', 'payload'), INJECT_OTLP_ENDPOINT: endpoint }).inject;
  const container: Container = { name: 'app', env: [{ name: 'OTEL_SERVICE_NAME', value: service }, ...userEnv] };
  const plan = planContainer(container, [java], undefined, config);
  if (plan.kind !== 'inject') throw new Error(`the webhook would not inject this container: ${plan.kind} ${plan.skips.join('; ')}`);
  injectContainer(container, podFacts({ name: 'test-pod', labels: { app: service } }, 'shop', config), () => [{ name: 'otel-injector', mountPath: config.mountPath, readOnly: true }], plan.runtimes, config, () => 'otel-collector');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
  for (const [name, value] of kubeletEnv(container)) env[name] = envValueText(value);
  return {
    ...env,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    ...extra,
  };
}
