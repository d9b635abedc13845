export type Attrs = Record<string, unknown>;
export interface SpanRecord { traceId: string; spanId: string; parentSpanId: string; name: string; kind: number; attributes: Attrs; resource: Attrs; scope: string; status: { code: number; message: string }; events: { name: string; attributes: Attrs }[] }
export interface LogRecordOut { traceId: string; spanId: string; severityText: string; severityNumber: number; body: unknown; attributes: Attrs; resource: Attrs; scope: string }
export interface MetricPoint { attributes: Attrs; count?: number; value?: number }
export interface MetricRecord { name: string; unit: string; type: string; points: MetricPoint[]; resource: Attrs; scope: string }
export interface RequestRecord { path: string; contentType: string; bytes: number; body?: unknown; headers: Record<string, string | string[] | undefined>; clientCertificate: string | undefined }
export interface ReceiverState { spans: SpanRecord[]; logs: LogRecordOut[]; metrics: MetricRecord[]; requests: RequestRecord[]; errors: string[]; tlsErrors: string[]; cut: number }
export interface Receiver extends ReceiverState {
  readonly port: number;
  readonly url: string;
  setTls(tls: TlsOptions): void;
  waitFor(predicate: (s: ReceiverState) => boolean, timeoutMs?: number): Promise<ReceiverState>;
  close(): Promise<void>;
}
export interface TlsOptions { key?: string; cert?: string; ca?: string; requestCert?: boolean }
export function startReceiver(options?: { tls?: TlsOptions; port?: number; status?: number; host?: string; holdFirst?: number; delayMs?: number; keepIfGone?: boolean; silent?: boolean; keepBodies?: boolean }): Promise<Receiver>;
export function anyValue(v: unknown): unknown;
export function attrs(list: unknown): Attrs;
