// Host-side looks at what the images hold and do: file trees, ELF headers, processes, HTTPS.
import { lstat, open, readdir, readFile, readlink } from 'node:fs/promises';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Entry {
  kind: 'dir' | 'file' | 'link';
  size: number;
  uid: number;
  mode: number;
  target?: string;
}

/** Every entry below dir, keyed by path relative to it. */
export async function tree(dir: string, prefix = ''): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  for (const name of (await readdir(dir)).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const st = await lstat(join(dir, name));
    const kind = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file';
    const entry: Entry = { kind, size: kind === 'file' ? st.size : 0, uid: st.uid, mode: st.mode & 0o7777 };
    if (kind === 'link') entry.target = await readlink(join(dir, name));
    out.set(rel, entry);
    if (kind === 'dir') for (const [k, v] of await tree(join(dir, name), rel)) out.set(k, v);
  }
  return out;
}

/** Same paths, kinds, sizes and link targets (ownership and modes may differ). */
export function sameContent(a: Map<string, Entry>, b: Map<string, Entry>): string[] {
  const diffs: string[] = [];
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) diffs.push(`missing ${k}`);
    else if (w.kind !== v.kind || w.size !== v.size || w.target !== v.target) diffs.push(`differs ${k}`);
  }
  for (const k of b.keys()) if (!a.has(k)) diffs.push(`extra ${k}`);
  return diffs;
}

/** True when an ELF file has no PT_INTERP program header, i.e. needs no dynamic loader. */
export async function isStaticElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    await fh.read(head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) throw new Error(`${path} is not a 64-bit ELF file`);
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    await fh.read(ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    await fh.close();
  }
}

/** Pid and real uid of the process whose argv and environment match, or undefined. */
export async function findProcess(argv: string[], envEntry: string): Promise<{ pid: number; uid: number } | undefined> {
  const wanted = argv.join('\0') + '\0';
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline !== wanted) continue;
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      if (!environ.includes(envEntry)) continue;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (m?.[1] !== undefined) return { pid: Number(pid), uid: Number(m[1]) };
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface HttpsAnswer {
  status: number;
  body: string;
  subjectAltName: string;
}

/** GET over HTTPS; the certificate is self-signed, so it is returned for checking, not verified. */
export function httpsGet(port: number, path: string): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: 3000 }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subjectAltName: cert.subjectaltname ?? '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function poll<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** True when something (a file, directory or link) is at path. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** The OTLP settings of a probe app in these tests: traces only, OTLP/HTTP protobuf to `endpoint`, as `service`. */
export function tracesOnlyEnv(service: string, endpoint: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
}
