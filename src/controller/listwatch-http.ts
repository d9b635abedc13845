// List pages and watch streams over plain node:http(s) with the kubeconfig's TLS material and credentials
// (client-node's applyToHTTPSOptions, asked again for every request so rotated tokens are picked up), one
// keep-alive agent. Bodies are parsed as JSON and handed over raw: the reflector's transform keeps what it
// needs, nothing goes through client-node's ObjectSerializer (whole typed objects, Dates).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../k8s/errors.js';
import type { ListPage, ListWatchSource, WatchEvent, WatchHandle } from './ports.js';

export interface CollectionOptions {
  /** e.g. /api/v1/namespaces/shop/pods */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Metadata only (PartialObjectMetadata): the server leaves spec and status out. */
  readonly metadataOnly?: boolean;
}

const META = 'g=meta.k8s.io;v=v1';

export class KubeHttp {
  private agent: HttpAgent | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {}

  source(collection: CollectionOptions): ListWatchSource {
    const selectors = (): Record<string, string> => ({
      ...(collection.labelSelector === undefined ? {} : { labelSelector: collection.labelSelector }),
      ...(collection.fieldSelector === undefined ? {} : { fieldSelector: collection.fieldSelector }),
    });
    return {
      list: async (o): Promise<ListPage> => {
        const query = { ...selectors(), limit: String(o.limit), ...(o.continue === undefined ? {} : { continue: o.continue }) };
        const accept = collection.metadataOnly === true ? `application/json;as=PartialObjectMetadataList;${META}, application/json` : 'application/json';
        const res = await this.get(collection.path, query, accept, `list ${collection.path}`);
        const body = JSON.parse(await readText(res)) as { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };
        return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '', continue: body.metadata?.continue };
      },
      watch: (resourceVersion, timeoutSeconds, onEvent): WatchHandle => {
        const query = { ...selectors(), watch: '1', allowWatchBookmarks: 'true', resourceVersion, timeoutSeconds: String(timeoutSeconds) };
        const accept = collection.metadataOnly === true ? `application/json;as=PartialObjectMetadata;${META}, application/json` : 'application/json';
        let response: IncomingMessage | undefined;
        let aborted = false;
        const done = this.get(collection.path, query, accept, `watch ${collection.path}`).then((res) => {
          response = res;
          if (aborted) res.destroy();
          // A dead connection: nothing at all (not even a bookmark) for longer than the server's timeout.
          return readLines(res, (timeoutSeconds + 60) * 1000, (line) => onEvent(JSON.parse(line) as WatchEvent));
        });
        return { done, abort: () => { aborted = true; response?.destroy(); } };
      },
    };
  }

  private async get(path: string, query: Record<string, string>, accept: string, operation: string): Promise<IncomingMessage> {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (server === undefined) throw new KubeApiError(0, operation, 'no current cluster in the kubeconfig');
    const url = new URL(server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: RequestOptions & { ca?: unknown; cert?: unknown; key?: unknown; rejectUnauthorized?: boolean; servername?: string } = {};
    await this.kubeConfig.applyToHTTPSOptions(opts as never);
    const tls = url.protocol === 'https:';
    this.agent ??= tls
      ? new HttpsAgent({ keepAlive: true, ca: opts.ca as string, cert: opts.cert as string, key: opts.key as string, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername })
      : new HttpAgent({ keepAlive: true });
    const headers = { ...(opts.headers as Record<string, string> | undefined), Accept: accept };
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = (tls ? httpsRequest : httpRequest)(url, { method: 'GET', headers, agent: this.agent }, resolve);
      req.on('error', (err) => reject(new KubeApiError(0, operation, (err as NodeJS.ErrnoException).code ?? err.message)));
      req.end();
    });
    if (res.statusCode === 200) return res;
    const text = await readText(res).catch(() => '');
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not a Status: the start of the body is the message
    }
    throw new KubeApiError(res.statusCode ?? 0, operation, message);
  }
}

/** The body as text, decoded chunk by chunk (no Buffer.concat of the whole page outside the V8 heap). */
function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: string[] = [];
    res.setEncoding('utf8');
    res.on('data', (c: string) => parts.push(c));
    res.on('end', () => resolve(parts.join('')));
    res.on('error', reject);
    res.on('close', () => { if (!res.complete) reject(new Error('connection closed before the end of the response')); });
  });
}

/** Calls onLine for every complete line; resolves at the end of the stream, rejects if it breaks off or idles for idleMs. */
function readLines(res: IncomingMessage, idleMs: number, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    let timer: NodeJS.Timeout | undefined;
    const idle = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => res.destroy(new Error(`watch idle for ${idleMs / 1000} s`)), idleMs);
      timer.unref();
    };
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      if (err === undefined) resolve();
      else reject(err);
    };
    idle();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      idle();
      rest += chunk;
      let from = 0;
      for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', from)) {
        const line = rest.slice(from, nl);
        from = nl + 1;
        if (line.trim() === '') continue;
        try {
          onLine(line);
        } catch (err) {
          res.destroy(err as Error);
          return;
        }
      }
      rest = rest.slice(from);
    });
    res.on('end', () => finish());
    res.on('error', finish);
    res.on('close', () => finish(res.complete ? undefined : new Error('watch connection closed')));
  });
}
