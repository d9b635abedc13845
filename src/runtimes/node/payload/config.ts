/** Preload configuration, parsed once from the standard OTEL_* environment variables. */

export type Env = Readonly<Record<string, string | undefined>>;
export type SignalExporter = 'otlp' | 'console' | 'none';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface PreloadConfig {
  readonly disabled: boolean;
  readonly protocol: OtlpProtocol;
  readonly traces: SignalExporter;
  readonly metrics: SignalExporter;
  readonly logs: SignalExporter;
  /** undefined: the default set; otherwise only these short names (upstream meaning). */
  readonly enabledInstrumentations: readonly string[] | undefined;
  readonly disabledInstrumentations: readonly string[];
  readonly resourceDetectors: readonly string[];
  readonly propagators: readonly string[];
  readonly logLevel: string | undefined;
  readonly metricIntervalMs: number;
  readonly shutdownTimeoutMs: number;
  readonly hostMetrics: boolean;
  /** auto: cheap synchronous hooks when the runtime has them, off-thread hooks only for ESM entry points. */
  readonly esmHooks: 'auto' | 'on' | 'off';
  /** Per signal, the collector TLS files when any is set (read, and read again when they change, by tlsagent.ts). */
  readonly tls: Readonly<Record<'traces' | 'metrics' | 'logs', TlsFiles | undefined>>;
  /** OTEL_INJECTOR_HEADERS_FILE: more headers, from a file read again when it changes (tlsagent.ts). */
  readonly headersFile: string | undefined;
  /** Human-readable problems that make the preload stand down (one warning, app untouched). */
  readonly problems: readonly string[];
  /** Problems worth one line that still let the preload run. */
  readonly notices: readonly string[];
}

export type SignalName = 'TRACES' | 'METRICS' | 'LOGS';

/** The file paths for one signal (the per-signal variable wins over the generic one). */
export interface TlsFiles {
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
}

function variable(env: Env, signal: SignalName, name: string): string | undefined {
  const value = env[`OTEL_EXPORTER_OTLP_${signal}_${name}`] ?? env[`OTEL_EXPORTER_OTLP_${name}`];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The TLS files configured for a signal; undefined when none is (upstream's defaults then apply unchanged). */
export function tlsFilesOf(env: Env, signal: SignalName): TlsFiles | undefined {
  const files = {
    ca: variable(env, signal, 'CERTIFICATE'),
    cert: variable(env, signal, 'CLIENT_CERTIFICATE'),
    key: variable(env, signal, 'CLIENT_KEY'),
  };
  return files.ca === undefined && files.cert === undefined && files.key === undefined ? undefined : files;
}

const DEFAULT_DETECTORS = ['env', 'host', 'os', 'process', 'container', 'serviceinstance'];
const ENDPOINT_VARS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
];

export function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function bool(value: string | undefined, fallback: boolean): boolean {
  const v = value?.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return fallback;
}

function tri(value: string | undefined): 'auto' | 'on' | 'off' {
  const v = value?.trim().toLowerCase();
  if (v === 'true' || v === 'on' || v === '1') return 'on';
  if (v === 'false' || v === 'off' || v === '0') return 'off';
  return 'auto';
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isInteger(n) && n > 0 ? n : fallback;
}

function exporter(value: string | undefined, name: string, notices: string[]): SignalExporter {
  const first = list(value)[0] ?? 'otlp';
  if (first === 'otlp' || first === 'console' || first === 'none') return first;
  notices.push(`${name}=${first} is not supported here; using otlp`);
  return 'otlp';
}

function protocol(env: Env, notices: string[]): OtlpProtocol {
  const value = (env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (value === 'http/protobuf' || value === 'http/json') return value;
  notices.push(`OTEL_EXPORTER_OTLP_PROTOCOL=${value} is not supported by this preload; using http/protobuf`);
  return 'http/protobuf';
}

/** Returns a problem description when an endpoint variable is set but is not an http(s) URL. */
export function endpointProblem(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const url = new URL(value.trim());
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
    return `${name} must be an http(s) URL (got scheme ${url.protocol})`;
  } catch {
    return `${name} is not a valid URL`;
  }
}

export function parseConfig(env: Env): PreloadConfig {
  const notices: string[] = [];
  const problems = ENDPOINT_VARS.map((n) => endpointProblem(n, env[n])).filter((p): p is string => p !== undefined);
  const enabled = env.OTEL_NODE_ENABLED_INSTRUMENTATIONS;
  const detectors = list(env.OTEL_NODE_RESOURCE_DETECTORS);
  return {
    disabled: bool(env.OTEL_SDK_DISABLED, false),
    protocol: protocol(env, notices),
    traces: exporter(env.OTEL_TRACES_EXPORTER, 'OTEL_TRACES_EXPORTER', notices),
    metrics: exporter(env.OTEL_METRICS_EXPORTER, 'OTEL_METRICS_EXPORTER', notices),
    logs: exporter(env.OTEL_LOGS_EXPORTER, 'OTEL_LOGS_EXPORTER', notices),
    enabledInstrumentations: enabled !== undefined && enabled.trim() !== '' ? list(enabled) : undefined,
    disabledInstrumentations: list(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS),
    resourceDetectors: detectors.length > 0 ? detectors : DEFAULT_DETECTORS,
    propagators: env.OTEL_PROPAGATORS !== undefined ? list(env.OTEL_PROPAGATORS) : ['tracecontext', 'baggage'],
    logLevel: env.OTEL_LOG_LEVEL,
    metricIntervalMs: positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL, 60000),
    shutdownTimeoutMs: positiveInt(env.OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS, 1000),
    hostMetrics: bool(env.OTEL_INJECTOR_HOST_METRICS, true),
    esmHooks: tri(env.OTEL_INJECTOR_ESM_HOOKS),
    tls: { traces: tlsFilesOf(env, 'TRACES'), metrics: tlsFilesOf(env, 'METRICS'), logs: tlsFilesOf(env, 'LOGS') },
    headersFile: env.OTEL_INJECTOR_HEADERS_FILE?.trim() || undefined,
    problems,
    notices,
  };
}
