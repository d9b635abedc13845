/**
 * What an OTLP exporter was handed but the collector has not got yet. The exporters send
 * asynchronously; when the process ends (`exit`), their requests stop where they are. Each export
 * passes through the exporter's transport (`_delegate._transport.send(bytes)`, upstream's
 * otlp-exporter-base, bundled at a fixed version): wrapping it records the serialised request of every
 * export in flight, and Node's `http.client.request.start` diagnostics channel gives the HTTP request
 * of each attempt (matched through the OpenTelemetry context the wrapper sets). At exit an export in
 * flight is sent again only if its body never fully left the process (no request yet, still
 * connecting, bytes still in Node's buffers, or between retries); a body the kernel already has reaches
 * the collector without us, so it is not sent twice.
 */
import * as dc from 'node:diagnostics_channel';
import { context, createContextKey } from '@opentelemetry/api';

interface RequestLike {
  readonly writableFinished?: boolean;
  once(event: string, listener: (arg: { statusCode?: number }) => void): unknown;
}

export interface Attempt {
  readonly data: Uint8Array;
  req: RequestLike | undefined;
  delivered: boolean;
}

/** Where and how a signal's exporter sends, and its exports in flight. */
export interface Outbound {
  readonly url: string;
  readonly gzip: boolean;
  headers: Record<string, string>;
  tls: Record<string, unknown> | undefined;
  readonly inflight: Set<Attempt>;
}

interface HttpParams {
  readonly url?: unknown;
  readonly compression?: unknown;
  readonly headers?: () => Promise<Record<string, string>>;
  readonly agentFactory?: (protocol: string) => Promise<{ options?: Record<string, unknown> }>;
}

interface Transport {
  send(data: Uint8Array, timeoutMillis: number): Promise<unknown>;
  shutdown(): unknown;
  readonly _transport?: { readonly _parameters?: HttpParams };
}

const ATTEMPT = createContextKey('otel-injector: OTLP export attempt');
const REQUEST_START = 'http.client.request.start';
let listening: dc.Channel | undefined;

function onRequest(message: unknown): void {
  const attempt = context.active().getValue(ATTEMPT) as Attempt | undefined;
  const req = (message as { request?: RequestLike } | undefined)?.request;
  if (attempt === undefined || req === undefined) return;
  attempt.req = req;
  req.once('response', (res) => {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) attempt.delivered = true;
    if (attempt.req === req) attempt.req = undefined;
  });
  req.once('close', () => {
    if (attempt.req === req) attempt.req = undefined;
  });
}

function listen(): void {
  if (listening !== undefined) return;
  // (a strong reference to the channel: on Node 18 a channel only the subscription refers to can be collected)
  listening = dc.channel(REQUEST_START);
  listening.subscribe(onRequest);
}

const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'ciphers', 'minVersion'];

function resolveParams(params: HttpParams, out: Outbound): void {
  params.headers?.().then((h) => { out.headers = { ...h }; }, () => undefined);
  if (out.url.startsWith('https:')) {
    params.agentFactory?.('https:').then((agent) => {
      // Read when the exit flush asks: an agent whose TLS files were renewed (tlsagent.ts) gives the current ones.
      Object.defineProperty(out, 'tls', {
        configurable: true,
        enumerable: true,
        get: () => {
          const opts = agent.options ?? {};
          return Object.fromEntries(TLS_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
        },
      });
    }, () => undefined);
  }
}

/** Wraps an OTLP/HTTP exporter's transport; undefined when the exporter is not one (console) or its shape is unknown. */
export function trackExporter(exporter: unknown): Outbound | undefined {
  const delegate = (exporter as { _delegate?: { _transport?: Transport } } | undefined)?._delegate;
  const transport = delegate?._transport;
  const params = transport?._transport?._parameters;
  if (delegate === undefined || transport === undefined || typeof transport.send !== 'function' || typeof params?.url !== 'string') return undefined;
  listen();
  const out: Outbound = { url: params.url, gzip: params.compression === 'gzip', headers: {}, tls: undefined, inflight: new Set() };
  resolveParams(params, out);
  const tracked: Transport = {
    send(data, timeoutMillis) {
      // (headers read from a file change when it does: the exit flush uses those of the latest export)
      params.headers?.().then((h) => { out.headers = { ...h }; }, () => undefined);
      const attempt: Attempt = { data, req: undefined, delivered: false };
      out.inflight.add(attempt);
      const sent = context.with(context.active().setValue(ATTEMPT, attempt), () => transport.send(data, timeoutMillis));
      return sent.finally(() => { out.inflight.delete(attempt); });
    },
    shutdown: () => transport.shutdown(),
  };
  delegate._transport = tracked;
  return out;
}

/** Serialised requests in flight whose body has not fully left the process. */
export function undelivered(out: Outbound): Uint8Array[] {
  return [...out.inflight].filter((a) => !a.delivered && a.req?.writableFinished !== true).map((a) => a.data);
}
