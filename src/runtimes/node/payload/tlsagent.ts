/**
 * TLS to the collector from files that may change under a running process (issue 21): the CA bundle, client
 * certificate and key named by OTEL_EXPORTER_OTLP_[<SIGNAL>_]CERTIFICATE / _CLIENT_CERTIFICATE / _CLIENT_KEY,
 * typically a mounted Kubernetes Secret, which the kubelet updates in place. Upstream's exporter reads the files
 * once when it is built; this agent reads them again whenever what os.stat says about them changed, so the next
 * connection uses a renewed CA or certificate without a restart. Node's Agent merges `agent.options` into every
 * request and connection it makes: that property is made an accessor that checks the files first.
 */
import { readFileSync, statSync } from 'node:fs';
import type * as http from 'node:http';
import type * as https from 'node:https';
import { diag } from '@opentelemetry/api';

// (http and https are loaded at the first export, as upstream's agent factory does: not at process start)
const httpModule = (): typeof http => require('node:http') as typeof http;
const httpsModule = (): typeof https => require('node:https') as typeof https;

import type { TlsFiles } from './config.js';

function stamp(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

type Material = { ca?: Buffer; cert?: Buffer; key?: Buffer };

function read(files: TlsFiles): Material {
  const material: Material = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const path = files[name];
    if (path === undefined) continue;
    try {
      material[name] = readFileSync(path);
    } catch (err) {
      // The diag logger prints the first error as the preload's one otel-injector: line.
      diag.error(`cannot read the collector TLS file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); exporting without it`);
    }
  }
  return material;
}

/** An https Agent (keep-alive, as upstream's) whose CA, certificate and key follow the files. */
export function rotatingAgent(files: TlsFiles): https.Agent {
  const agent = new (httpsModule().Agent)({ keepAlive: true });
  let base = agent.options;
  let seen: string | undefined;
  let material: Material = {};
  const refresh = (): void => {
    const now = `${stamp(files.ca)}|${stamp(files.cert)}|${stamp(files.key)}`;
    if (now === seen) return;
    const first = seen === undefined;
    seen = now;
    material = read(files);
    // Idle connections were made with the old material: new requests open new ones.
    if (!first) for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  };
  Object.defineProperty(agent, 'options', {
    configurable: true,
    enumerable: true,
    get: () => {
      refresh();
      return { ...base, ...material };
    },
    set: (value: https.AgentOptions) => {
      base = value;
    },
  });
  return agent;
}

/** The `httpAgentOptions` factory for upstream's OTLP/HTTP exporters. */
export function agentFactory(files: TlsFiles): (protocol: string) => Promise<http.Agent> {
  return (protocol) => Promise.resolve(protocol === 'http:' ? new (httpModule().Agent)({ keepAlive: true }) : rotatingAgent(files));
}

/** `k1=v1,k2=v2` as OTEL_EXPORTER_OTLP_HEADERS: trimmed, percent-decoded; entries without a name are skipped. */
export function parseHeaders(text: string): Record<string, string> {
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = decode(part.slice(0, eq).trim());
    if (name !== '') out[name] = decode(part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * The exporters' `headers` from OTEL_INJECTOR_HEADERS_FILE (the webhook's mounted collector Secret), read again
 * when the file changed: a renewed ingestion key goes with the next export, no restart. Upstream adds them over
 * the OTEL_EXPORTER_OTLP_HEADERS ones. A missing or unreadable file adds nothing.
 */
export function headersFromFile(path: string): () => Promise<Record<string, string>> {
  let seen: string | undefined;
  let headers: Record<string, string> = {};
  return () => {
    const now = stamp(path);
    if (now !== seen) {
      seen = now;
      try {
        headers = now === 'missing' ? {} : parseHeaders(readFileSync(path, 'utf8').trim());
      } catch {
        headers = {};
      }
    }
    return Promise.resolve({ ...headers });
  };
}
