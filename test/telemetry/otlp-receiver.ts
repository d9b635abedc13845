// Test helper (no tests here): the OTLP receiver as the webhook's own telemetry tests read it (OTLP/JSON bodies),
// and a small strict parser of the Prometheus text format.
import { startReceiver as startOtlpReceiver } from '../support/receiver.mjs';

export interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Resolves once `predicate` holds for what has arrived, rejects after `timeoutMs`. */
  waitFor(predicate: (received: readonly Received[]) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The project's one OTLP receiver (test/support/receiver.mjs), its requests' bodies kept as OTLP/JSON for the
 * webhook's own telemetry tests. `mode`: `ok` answers 200 `{}`; `fail` answers 500; `hang` never answers.
 */
export async function startReceiver(mode: 'ok' | 'fail' | 'hang' = 'ok'): Promise<Receiver> {
  const receiver = await startOtlpReceiver({ keepBodies: true, status: mode === 'fail' ? 500 : 200, holdFirst: mode === 'hang' ? Number.MAX_SAFE_INTEGER : 0 });
  const received = (): Received[] => receiver.requests.map((r) => ({ path: r.path, contentType: r.contentType, body: r.body }));
  return {
    url: receiver.url,
    get received(): Received[] {
      return received();
    },
    async waitFor(predicate, timeoutMs): Promise<void> {
      await receiver.waitFor(() => predicate(received()), timeoutMs).catch(() => {
        throw new Error(`receiver: condition not met in ${timeoutMs} ms (${receiver.requests.length} requests)`);
      });
    },
    close: () => receiver.close(),
  };
}

// ---- OTLP JSON navigation ----

export interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
}

export function attributeMap(attributes: readonly OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.doubleValue ?? value.boolValue;
  }
  return out;
}

export function metricsNamed(received: readonly Received[], name: string): any[] {
  return received
    .filter((r) => r.path === '/v1/metrics')
    .flatMap((r) => (r.body as any).resourceMetrics as any[])
    .flatMap((rm) => rm.scopeMetrics as any[])
    .flatMap((sm) => sm.metrics as any[])
    .filter((m) => m.name === name);
}

export function spans(received: readonly Received[]): any[] {
  return received
    .filter((r) => r.path === '/v1/traces')
    .flatMap((r) => (r.body as any).resourceSpans as any[])
    .flatMap((rs) => rs.scopeSpans as any[])
    .flatMap((ss) => ss.spans as any[]);
}

// ---- Prometheus text format ----

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  help?: string;
  type?: string;
  readonly samples: PromSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_total', '_bucket', '_sum', '_count', ''];

function parseLabels(text: string | undefined, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text ?? '';
  while (rest.length > 0) {
    const match = LABEL.exec(rest);
    if (match === null) throw new Error(`bad labels in: ${line}`);
    const key = match[1] as string;
    if (key in labels) throw new Error(`duplicate label ${key} in: ${line}`);
    labels[key] = (match[2] as string).replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
  return value;
}

function familyOf(families: Map<string, PromFamily>, sampleName: string): PromFamily {
  for (const suffix of SUFFIXES) {
    const base = suffix === '' ? sampleName : sampleName.slice(0, -suffix.length);
    const family = sampleName.endsWith(suffix) ? families.get(base) : undefined;
    if (family?.type !== undefined) return family;
  }
  throw new Error(`sample ${sampleName} has no # TYPE before it`);
}

/** Parses Prometheus text format 0.0.4 strictly: every line must be HELP, TYPE, a comment, or a sample of a typed family. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const family = (name: string): PromFamily => {
    const found = families.get(name) ?? { samples: [] };
    families.set(name, found);
    return found;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === 'TYPE' && !TYPES.has(rest)) throw new Error(`bad type: ${line}`);
      if (kind === 'TYPE') family(name).type = rest;
      else family(name).help = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`bad sample line: ${line}`);
    const name = match[1] as string;
    familyOf(families, name).samples.push({ name, labels: parseLabels(match[2], line), value: parseValue(match[3] as string, line) });
  }
  return families;
}
