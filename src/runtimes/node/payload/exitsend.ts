/**
 * Synchronous delivery for the moment the process ends. `process.exit()`, an uncaught exception and
 * the end of the event loop run the `exit` listeners synchronously and never return to the event loop,
 * so no socket of the main thread makes progress there. A worker thread has its own event loop: it
 * POSTs the prepared OTLP requests while the main thread waits on a SharedArrayBuffer
 * (`Atomics.wait`, with the remaining shutdown bound as its timeout). When the bound runs out first,
 * the main thread simply goes on exiting; the worker ends with the process.
 *
 * Why a worker and not a child process doing the POST (`spawnSync`): both took ~35-100 ms to deliver
 * one request on this machine (Node 18 and 24), but a child is a second Node process (tens of MB, a
 * pid, an exec of the binary) counted against the pod's limits at the worst moment, and it would need
 * a clean environment so that NODE_OPTIONS does not load the preload into it again.
 */
import { Worker } from 'node:worker_threads';

export interface ExitRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly gzip: boolean;
  /** TLS options of the exporter's agent (ca, cert, key, …) for https endpoints. */
  readonly tls?: Readonly<Record<string, unknown>>;
}

export interface ExitDelivery {
  /** every request was answered (or failed) before the bound */
  readonly settled: boolean;
  /** requests answered with a 2xx status */
  readonly delivered: number;
  readonly ms: number;
}

// Plain CommonJS run by the worker (eval). flag[0]: 1 when every request settled; flag[1]: 2xx answers.
const WORKER_CODE = `
const { workerData } = require('node:worker_threads');
const { gzipSync } = require('node:zlib');
const flag = new Int32Array(workerData.sab);
const deadline = Date.now() + workerData.ms;
let left = workerData.requests.length;
const settle = (ok) => {
  if (ok) Atomics.add(flag, 1, 1);
  if (--left === 0) { Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); }
};
for (const r of workerData.requests) {
  let done = false;
  const once = (ok) => { if (!done) { done = true; settle(ok); } };
  try {
    const url = new URL(r.url);
    const mod = require(url.protocol === 'https:' ? 'node:https' : 'node:http');
    let body = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
    const headers = { ...r.headers };
    if (r.gzip) { body = gzipSync(body); headers['Content-Encoding'] = 'gzip'; }
    headers['Content-Length'] = String(body.length);
    const req = mod.request(url, { method: 'POST', headers, ...(r.tls || {}) }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => once(res.statusCode >= 200 && res.statusCode < 300));
      res.on('error', () => once(false));
    });
    req.setTimeout(Math.max(1, deadline - Date.now()), () => { req.destroy(); once(false); });
    req.on('error', () => once(false));
    req.end(body);
  } catch { once(false); }
}
`;

/** Sends `requests` and waits at most `ms` for their answers; never throws. */
export function sendSync(requests: readonly ExitRequest[], ms: number): ExitDelivery {
  const started = Date.now();
  if (requests.length === 0 || ms <= 0) return { settled: requests.length === 0, delivered: 0, ms: 0 };
  try {
    const sab = new SharedArrayBuffer(8);
    const flag = new Int32Array(sab);
    // stdout/stderr: true = not piped into the app's streams (the main thread could not forward them anyway).
    // execArgv: [] = the app's command-line flags are not applied again (NODE_OPTIONS preloads still run:
    // ours returns at once outside the main thread).
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { sab, requests, ms }, stdout: true, stderr: true, execArgv: [] });
    worker.on('error', () => undefined);
    worker.unref();
    Atomics.wait(flag, 0, 0, Math.max(1, ms - (Date.now() - started)));
    return { settled: Atomics.load(flag, 0) === 1, delivered: Atomics.load(flag, 1), ms: Date.now() - started };
  } catch {
    return { settled: false, delivered: 0, ms: Date.now() - started };
  }
}
