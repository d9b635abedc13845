// Starting the Spring test service (apps/spring) on a JDK with the webhook's env, against the test's servers.
import { join } from 'node:path';
import type { Servers } from '../../../python/test/support/servers.js';
import { freePort, run, type Proc } from '../../../python/test/support/proc.js';
import type { EnvVar } from '../../../../inject/types.js';
import type { Jdk } from './jvm.js';
import { injectedEnv } from './jvm.js';

export interface SpringApp { readonly proc: Proc; readonly url: string }

/** The app's settings for the servers (Spring Boot reads them from the environment). */
export function springEnv(servers: Servers, port: number): Record<string, string> {
  const pg = new URL(servers.postgres);
  const env: Record<string, string> = {
    SERVER_PORT: String(port),
    SERVER_ADDRESS: '127.0.0.1',
    SPRING_DATASOURCE_URL: `jdbc:postgresql://${pg.host}${pg.pathname}`,
    SPRING_DATA_REDIS_URL: servers.redis,
  };
  if (servers.rabbitmq !== undefined) {
    const amqp = new URL(servers.rabbitmq);
    Object.assign(env, { SPRING_RABBITMQ_HOST: amqp.hostname, SPRING_RABBITMQ_PORT: amqp.port });
  }
  return env;
}

/** Starts the service and waits (bounded) until Spring says it started. */
export async function startSpring(jdk: Jdk, dir: string, service: string, endpoint: string, servers: Servers, userEnv: EnvVar[] = [], args: string[] = [], agent = true): Promise<SpringApp> {
  const port = await freePort();
  const env = injectedEnv(service, endpoint, userEnv, springEnv(servers, port));
  // Without the agent: the same env less our -javaagent (the user's own options kept).
  if (!agent) env.JAVA_TOOL_OPTIONS = userEnv.find((e) => e.name === 'JAVA_TOOL_OPTIONS')?.value ?? '';
  const proc = run('nice', ['-n', '10', jdk.java, ...args, '-jar', join(dir, 'target', 'shop.jar')], { env, cwd: dir });
  try {
    await proc.waitOutput(/Started ShopApplication/, 240000, 'Spring started');
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { proc, url: `http://127.0.0.1:${port}` };
}

/** GET, bounded (generous: a first request on a busy machine warms a lot up); the body as text (throws on a non-2xx answer). */
export async function getText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 500)}`);
  return body;
}
