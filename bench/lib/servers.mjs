// Starts the servers under test as separate processes, exactly as users run the webhook
// (`node dist/main.js` with PORT, LOG_LEVEL, TLS_CERT_FILE/TLS_KEY_FILE), stdout to a file.
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

// Servers still running; killed if the bench itself exits early (error, Ctrl-C, closed stdout).
const live = new Set();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => process.exit(130));
}
process.stdout.on('error', () => process.exit(1));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One HTTPS call to 127.0.0.1 (certificate checked against `ca`). */
export function httpsCall(port, path, { ca, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', ca, servername: 'localhost', agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Spawns `script` with `env` (plus PATH/HOST/PORT/TLS files), stdout to `logFile`, stderr kept for errors.
 * `nodeOptions` goes through NODE_OPTIONS (--expose-gc), `nodeArgs` before the script (--cpu-prof: Node 20
 * refuses it in NODE_OPTIONS); never through the webhook's code.
 */
export async function startServer({ script, env, certs, logFile, nodeOptions, nodeArgs = [] }) {
  const port = await freePort();
  const out = openSync(logFile, 'w');
  const childEnv = {
    PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port),
    TLS_CERT_FILE: join(certs, 'tls.crt'), TLS_KEY_FILE: join(certs, 'tls.key'), ...env,
  };
  if (nodeOptions !== undefined) childEnv.NODE_OPTIONS = nodeOptions;
  const child = spawn(process.execPath, [...nodeArgs, script], { env: childEnv, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const ca = readFileSync(join(certs, 'ca.crt'), 'utf8');
  const server = { child, port, ca, logFile, exited, stderr: () => stderr };
  await waitHealthy(server);
  return server;
}

async function waitHealthy(server, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr()}`);
    try {
      if ((await httpsCall(server.port, '/healthz', { ca: server.ca })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not healthy in time: ${server.stderr()}`);
}

/** SIGTERM (the webhook drains for SHUTDOWN_DRAIN_SECONDS, set to 0 by the bench), then waits for exit. */
export async function stopServer(server) {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await server.exited;
  clearTimeout(timer);
}

/** VmRSS of a process in KiB, from /proc/<pid>/status. */
export function rssKiB(pid) {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** Number of lines in a file (the webhook's log: one per review expected). */
export async function countLines(file) {
  let lines = 0;
  for await (const chunk of createReadStream(file)) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
  }
  return lines;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
