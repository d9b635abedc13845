// Real Redis, PostgreSQL and RabbitMQ servers for the Python integration tests: Debian's packages
// (installed here when missing), each started on random loopback ports in a temporary directory and
// stopped at the end of the test file, also when it fails.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, run, runToEnd, type Proc } from './proc.js';
import { withLock } from './paths.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const RABBIT = '/usr/lib/rabbitmq/bin/rabbitmq-server';

const has = (path: string): boolean => existsSync(path);

/** Installs Debian packages that are missing, with service auto-start blocked while dpkg runs. */
export async function ensureDebianPackages(wanted: Record<string, string>): Promise<void> {
  const missing = Object.entries(wanted).filter(([, file]) => !has(file)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  await withLock('apt', async () => {
    const still = Object.entries(wanted).filter(([, file]) => !has(file)).map(([pkg]) => pkg);
    if (still.length === 0) return;
    const policy = '/usr/sbin/policy-rc.d';
    const ours = !existsSync(policy);
    // A service started by the package's maintainer script would listen on the default (shared) ports.
    if (ours) writeFileSync(policy, '#!/bin/sh\n# written by otel-injector test setup\nexit 101\n', { mode: 0o755 });
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const known = spawnSync('apt-cache', ['policy', ...still], { encoding: 'utf8' }).stdout;
      if (!/Candidate: \d/.test(known)) await runToEnd('apt-get', ['update', '-o', 'DPkg::Lock::Timeout=600'], { env });
      await runToEnd('apt-get', ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...still], { env });
    } finally {
      if (ours) unlinkSync(policy);
    }
  });
}

export interface Server { readonly url: string; readonly proc: Proc; stop(): Promise<void> }

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `otel-injector-${prefix}-`));
}

export async function startRedis(): Promise<Server> {
  await ensureDebianPackages({ 'redis-server': '/usr/bin/redis-server' });
  const dir = tempDir('redis');
  const port = await freePort();
  const proc = run('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], { cwd: dir });
  await proc.waitOutput(/Ready to accept connections/, 20000, 'redis ready');
  return { url: `redis://127.0.0.1:${port}/0`, proc, stop: async () => { await proc.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

/** PostgreSQL refuses to run as root: as root the server runs as the `postgres` user Debian created. */
function pgUser(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root and there is no postgres user to run PostgreSQL as');
  return { uid, gid };
}

export async function startPostgres(): Promise<Server> {
  await ensureDebianPackages({ 'postgresql-15': join(PG_BIN, 'postgres') });
  const dir = tempDir('pg');
  const data = join(dir, 'data');
  const user = pgUser();
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid ?? user.uid);
  const env = { PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: dir };
  await runToEnd(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...user, env, cwd: dir, timeoutMs: 120000 });
  const port = await freePort();
  const proc = run(join(PG_BIN, 'postgres'), ['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'], { ...user, env, cwd: dir });
  await proc.waitOutput(/database system is ready to accept connections/, 60000, 'postgres ready');
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, proc, stop: async () => { await proc.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * A RabbitMQ node of our own: its own epmd (foreground, loopback) and node name, AMQP and distribution
 * ports on 127.0.0.1, mnesia/logs/cookie in a temporary directory.
 */
export async function startRabbitMQ(): Promise<Server> {
  await ensureDebianPackages({ 'rabbitmq-server': RABBIT });
  const dir = tempDir('rabbitmq');
  const [amqp, dist, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const base = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1' };
  const epmd = run('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { env: base, cwd: dir });
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${amqp}\nloopback_users = none\n`);
  const env = {
    ...base,
    RABBITMQ_NODENAME: `otelpy${process.pid}x${amqp}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqp),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const proc = run(RABBIT, [], { env, cwd: dir });
  const stop = async (): Promise<void> => {
    await proc.stop(15000);
    await epmd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await proc.waitOutput(/Server startup complete/, 120000, 'rabbitmq ready');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `amqp://guest:guest@127.0.0.1:${amqp}/`, proc, stop };
}

export interface Servers { redis: string; postgres: string; rabbitmq?: string; rabbitmqSkip?: string; stop(): Promise<void> }

/** Starts the three servers once for a test file (in parallel); `stop()` ends every one that started. */
export async function startServers(): Promise<Servers> {
  const started: Server[] = [];
  const keep = (p: Promise<Server>): Promise<Server> => p.then((s) => { started.push(s); return s; });
  const stop = async (): Promise<void> => { await Promise.all(started.map((s) => s.stop())); };
  const rabbit = keep(startRabbitMQ()).then((s) => ({ url: s.url }), (err: unknown) => ({ skip: String(err instanceof Error ? err.message : err) }));
  try {
    const [redis, postgres] = await Promise.all([keep(startRedis()), keep(startPostgres())]);
    const r = await rabbit;
    return { redis: redis.url, postgres: postgres.url, rabbitmq: 'url' in r ? r.url : undefined, rabbitmqSkip: 'skip' in r ? r.skip : undefined, stop };
  } catch (err) {
    await rabbit;
    await stop();
    throw err;
  }
}
