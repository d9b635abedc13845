import { ConfigError } from '../errors.js';
import { DEFAULT_RUNTIME_NAMES, RUNTIME_NAMES, RUNTIME_VARIABLES, splitNames } from '../runtimes/index.js';
import { parseCollector, type CollectorConfig } from './collector.js';
import { parseController, type ControllerConfig } from './controller.js';
import { parseDelivery, type DeliveryConfig } from './delivery.js';
import { parseQuantity } from './quantity.js';
import { EnvReader, type Env } from './read.js';

export type { Env } from './read.js';
export type { ControllerConfig, ControllerMode } from './controller.js';
export type { CollectorConfig, Signal } from './collector.js';
export type { DeliveryConfig, DeliveryMode } from './delivery.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type CertMode = 'ephemeral' | 'files' | 'self-managed';

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  readonly shutdownDrainSeconds: number;
}

export interface CertConfig {
  readonly mode: CertMode;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly secretName: string;
  readonly namespace: string;
  readonly serviceName: string;
  readonly webhookConfigName: string;
  readonly validityDays: number;
  readonly checkIntervalSeconds: number;
}

export interface ResourceList {
  readonly cpu: string;
  readonly memory: string;
}

export interface InjectConfig {
  readonly otlpEndpoint: string;
  readonly payloadImage: string;
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** The init container's command as configured (INJECT_INIT_COMMAND); undefined: copy the pod's runtimes' folders. */
  readonly initCommand: readonly string[] | undefined;
  readonly mountPath: string;
  readonly volumeSizeLimit: string;
  readonly initResources: { readonly requests: ResourceList; readonly limits: ResourceList };
  readonly initRunAsUser: number;
  readonly extraEnv: Readonly<Record<string, string>>;
  /**
   * Variables set on every instrumented container even where the container sets them (INJECT_OVERRIDE_ENV):
   * the one place where the injector overrides the user, opt-in (empty by default).
   */
  readonly overrideEnv: Readonly<Record<string, string>>;
  readonly useWellKnownLabels: boolean;
  readonly skipOwnerKinds: readonly string[];
  /** Runtimes switched on in every selected container (names from src/runtimes, in registry order). */
  readonly runtimes: readonly string[];
  /** Per-signal endpoints and the collector Secret (CA, client certificate, headers) the pods mount. */
  readonly collector: CollectorConfig;
  /** Init container, image volume or auto (INJECT_DELIVERY), and where the controller's support snapshot is read. */
  readonly delivery: DeliveryConfig;
}

export interface TelemetryConfig {
  readonly otlpEndpoint: string | undefined;
  readonly exportIntervalMs: number;
}

export interface Config {
  readonly version: string;
  readonly server: ServerConfig;
  readonly certs: CertConfig;
  readonly inject: InjectConfig;
  readonly telemetry: TelemetryConfig;
  readonly controller: ControllerConfig;
}

export const DEFAULT_OTLP_ENDPOINT = 'http://signoz-otel-collector.signoz.svc.cluster.local:4318';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function parseServer(read: EnvReader): ServerConfig {
  return {
    port: read.int('PORT', 8443, 1, 65535),
    host: read.string('HOST', '0.0.0.0'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    maxBodyBytes: read.int('MAX_BODY_BYTES', 3 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    shutdownDrainSeconds: read.int('SHUTDOWN_DRAIN_SECONDS', 5, 0, 300),
  };
}

function dnsName(read: EnvReader, name: string, fallback: string): string {
  const value = read.string(name, fallback);
  if (!DNS_LABEL.test(value) || value.length > 63) throw new ConfigError(name, `"${value}" is not a DNS-1123 label`);
  return value;
}

function parseCerts(read: EnvReader): CertConfig {
  const certFile = read.raw('TLS_CERT_FILE');
  const keyFile = read.raw('TLS_KEY_FILE');
  const mode = read.oneOf<CertMode>('CERT_MODE', certFile === undefined ? 'ephemeral' : 'files', [
    'ephemeral',
    'files',
    'self-managed',
  ]);
  if (mode === 'files' && (certFile === undefined || keyFile === undefined)) {
    throw new ConfigError(certFile === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE', 'required when CERT_MODE=files');
  }
  return {
    mode,
    certFile,
    keyFile,
    secretName: dnsName(read, 'CERT_SECRET_NAME', 'otel-injector-tls'),
    namespace: dnsName(read, 'POD_NAMESPACE', 'otel-injector'),
    serviceName: dnsName(read, 'SERVICE_NAME', 'otel-injector'),
    webhookConfigName: read.string('WEBHOOK_CONFIG_NAME', 'otel-injector'),
    validityDays: read.int('CERT_VALIDITY_DAYS', 365, 1, 3650),
    checkIntervalSeconds: read.int('CERT_CHECK_INTERVAL_SECONDS', 60, 1, 3600),
  };
}

function quantity(read: EnvReader, name: string, fallback: string): string {
  const value = read.string(name, fallback);
  if (parseQuantity(value) === undefined) throw new ConfigError(name, `"${value}" is not a Kubernetes quantity`);
  return value;
}

function requestWithinLimit(request: [string, string], limit: [string, string]): void {
  if ((parseQuantity(request[1]) ?? 0) > (parseQuantity(limit[1]) ?? 0)) {
    throw new ConfigError(request[0], `request ${request[1]} exceeds ${limit[0]}=${limit[1]}`);
  }
}

function parseInitResources(read: EnvReader): InjectConfig['initResources'] {
  const cpuRequest = quantity(read, 'INJECT_INIT_CPU_REQUEST', '10m');
  const cpuLimit = quantity(read, 'INJECT_INIT_CPU_LIMIT', '100m');
  const memoryRequest = quantity(read, 'INJECT_INIT_MEMORY_REQUEST', '16Mi');
  const memoryLimit = quantity(read, 'INJECT_INIT_MEMORY_LIMIT', '64Mi');
  requestWithinLimit(['INJECT_INIT_CPU_REQUEST', cpuRequest], ['INJECT_INIT_CPU_LIMIT', cpuLimit]);
  requestWithinLimit(['INJECT_INIT_MEMORY_REQUEST', memoryRequest], ['INJECT_INIT_MEMORY_LIMIT', memoryLimit]);
  return { requests: { cpu: cpuRequest, memory: memoryRequest }, limits: { cpu: cpuLimit, memory: memoryLimit } };
}

function parseExtraEnv(read: EnvReader): Readonly<Record<string, string>> {
  const extra = read.stringMap('INJECT_EXTRA_ENV');
  for (const key of Object.keys(extra)) {
    if (!ENV_NAME.test(key)) throw new ConfigError('INJECT_EXTRA_ENV', `"${key}" is not a valid env var name`);
  }
  return Object.freeze(extra);
}

/** Variables the injection manages itself: forcing them would undo or corrupt what it adds. */
const NOT_OVERRIDABLE = new Set([...RUNTIME_VARIABLES, 'OTEL_RESOURCE_ATTRIBUTES']);

function parseOverrideEnv(read: EnvReader): Readonly<Record<string, string>> {
  const forced = read.stringMap('INJECT_OVERRIDE_ENV');
  for (const key of Object.keys(forced)) {
    if (!ENV_NAME.test(key)) throw new ConfigError('INJECT_OVERRIDE_ENV', `"${key}" is not a valid env var name`);
    if (NOT_OVERRIDABLE.has(key)) {
      throw new ConfigError('INJECT_OVERRIDE_ENV', `"${key}" is extended by the injection itself and cannot be forced`);
    }
  }
  return Object.freeze(forced);
}

function absolutePath(read: EnvReader, name: string, fallback: string): string {
  const value = read.string(name, fallback).replace(/\/+$/, '');
  if (!value.startsWith('/') || value.includes(':') || value.split('/').includes('..')) {
    throw new ConfigError(name, `"${value}" must be an absolute path without ':' or '..'`);
  }
  return value;
}

function initCommand(read: EnvReader): readonly string[] | undefined {
  if (read.raw('INJECT_INIT_COMMAND') === undefined) return undefined;
  return Object.freeze([...read.stringArray('INJECT_INIT_COMMAND', [])]);
}

function runtimes(read: EnvReader): readonly string[] {
  const text = read.raw('INJECT_RUNTIMES');
  if (text === undefined) return DEFAULT_RUNTIME_NAMES;
  const names = splitNames(text);
  const unknown = names.filter((name) => !RUNTIME_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError('INJECT_RUNTIMES', `unknown runtime "${unknown.join('", "')}" (known: ${RUNTIME_NAMES.join(', ')})`);
  }
  if (names.length === 0) throw new ConfigError('INJECT_RUNTIMES', `names no runtime (known: ${RUNTIME_NAMES.join(', ')})`);
  return RUNTIME_NAMES.filter((name) => names.includes(name));
}

function parseInject(read: EnvReader, version: string): InjectConfig {
  const runAsUser = read.int('INJECT_INIT_RUN_AS_USER', 65532, 1, 2147483647);
  const otlpEndpoint = read.url('INJECT_OTLP_ENDPOINT', DEFAULT_OTLP_ENDPOINT) ?? DEFAULT_OTLP_ENDPOINT;
  const mountPath = absolutePath(read, 'INJECT_MOUNT_PATH', '/otel-injector');
  const delivery = parseDelivery(read);
  const command = initCommand(read);
  if (delivery.mode !== 'init-container' && command !== undefined) {
    throw new ConfigError('INJECT_DELIVERY', `${delivery.mode} mounts the payload image's own layout (/otel-payload/<runtime>); INJECT_INIT_COMMAND is set, so use init-container`);
  }
  return {
    otlpEndpoint,
    payloadImage: read.string('INJECT_PAYLOAD_IMAGE', `ghcr.io/otel-injector/payload:${version}`),
    imagePullPolicy: read.oneOf('INJECT_IMAGE_PULL_POLICY', 'IfNotPresent', ['Always', 'IfNotPresent', 'Never']),
    initCommand: command,
    mountPath,
    volumeSizeLimit: quantity(read, 'INJECT_VOLUME_SIZE_LIMIT', '64Mi'),
    initResources: parseInitResources(read),
    initRunAsUser: runAsUser,
    extraEnv: parseExtraEnv(read),
    overrideEnv: parseOverrideEnv(read),
    useWellKnownLabels: read.bool('INJECT_USE_WELL_KNOWN_LABELS', false),
    skipOwnerKinds: Object.freeze(read.list('INJECT_SKIP_OWNER_KINDS')),
    runtimes: runtimes(read),
    collector: parseCollector(read, otlpEndpoint, mountPath),
    delivery,
  };
}

function parseTelemetry(read: EnvReader): TelemetryConfig {
  return {
    otlpEndpoint: read.url('TELEMETRY_OTLP_ENDPOINT', undefined),
    exportIntervalMs: read.int('TELEMETRY_EXPORT_INTERVAL_MS', 15000, 100, 3_600_000),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** Parses and validates the whole configuration once; throws ConfigError naming the bad variable. */
export function parseConfig(env: Env, version: string): Config {
  const read = new EnvReader(env);
  return deepFreeze({
    version,
    server: parseServer(read),
    certs: parseCerts(read),
    inject: parseInject(read, version),
    telemetry: parseTelemetry(read),
    controller: parseController(read),
  });
}
