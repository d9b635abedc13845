// Reads the SigNoz dashboard and alert rules of docs/signoz/ (SigNoz's query-builder JSON) and checks every
// metric name, metric type, attribute key (resource or point attribute, as each query declares it), filter
// and unit they use against what a real app exported to the OTLP receiver. Pure functions: the test runs
// them on the real export, and on deliberately broken copies to show that they do fail.
import type { LogRecordOut, MetricRecord, ReceiverState } from '../../../../../test/support/receiver.mjs';

type Json = Record<string, unknown>;

export interface Key { key: string; type: string }
export interface Filter { key: Key; op: string; value: unknown }
export interface Query {
  /** Where it comes from: `<file> <widget or rule> <query name>`. */
  where: string;
  dataSource: string;
  metric: string;
  metricType: string;
  filters: Filter[];
  groupBy: Key[];
  /** Unit the panel or rule shows the result in, when the query alone makes the result ('' otherwise). */
  unit: string;
  /** Log fields a list panel shows. */
  fields: string[];
}

const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Json : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function keyOf(v: unknown): Key {
  const k = obj(v);
  return { key: str(k.key), type: str(k.type) };
}

function queryOf(where: string, q: Json, unit: string, fields: string[]): Query {
  const agg = obj(q.aggregateAttribute);
  return {
    where: `${where} ${str(q.queryName)}`,
    dataSource: str(q.dataSource),
    metric: str(agg.key),
    metricType: str(agg.type),
    filters: arr(obj(q.filters).items).map((i) => ({ key: keyOf(obj(i).key), op: str(obj(i).op), value: obj(i).value })),
    groupBy: arr(q.groupBy).map(keyOf),
    unit: str(q.aggregateOperator) === 'count_rate' ? '' : unit,
    fields,
  };
}

/** Every builder query of a dashboard's widgets (rows have none). */
export function dashboardQueries(file: string, dashboard: Json): Query[] {
  return arr(dashboard.widgets).flatMap((w) => {
    const widget = obj(w);
    const builder = obj(obj(widget.query).builder);
    const unit = arr(builder.queryFormulas).length > 0 ? '' : str(widget.yAxisUnit);
    const fields = arr(widget.selectedLogFields).map((f) => str(obj(f).name));
    return arr(builder.queryData).map((q) => queryOf(`${file} widget ${str(widget.id)}`, obj(q), unit, fields));
  });
}

/** Every builder query of alert rules (formulas, which only have an expression, are left out). */
export function alertQueries(file: string, rules: unknown[]): Query[] {
  return rules.flatMap((r) => {
    const rule = obj(r);
    const composite = obj(obj(rule.condition).compositeQuery);
    return Object.values(obj(composite.builderQueries)).map(obj).filter((q) => q.dataSource !== undefined)
      .map((q) => queryOf(`${file} rule "${str(rule.alert)}"`, q, str(composite.unit), []));
  });
}

/** Metric names and label keys the dashboard's variables read from SigNoz's time-series table. */
export function variableRefs(dashboard: Json): { where: string; metric: string; keys: string[] }[] {
  return Object.values(obj(dashboard.variables)).map(obj).map((v) => {
    const sql = str(v.queryValue);
    return {
      where: `variable ${str(v.name)}`,
      metric: /metric_name = '([^']+)'/.exec(sql)?.[1] ?? '',
      keys: [...sql.matchAll(/JSONExtractString\(labels, '([^']+)'\)/g)].map((m) => m[1] ?? ''),
    };
  });
}

const TYPES: Record<string, string> = { Histogram: 'histogram', Sum: 'sum', Gauge: 'gauge' };
const UNITS: Record<string, string> = { s: 's', bytes: 'By', percentunit: '1' };

export type Vars = Record<string, string>;

/** A filter value with the dashboard's variables ({{.name}}) replaced. */
function resolve(value: unknown, vars: Vars): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, vars));
  if (typeof value !== 'string') return value;
  return value.replace(/\{\{\.(\w+)\}\}/g, (_, name: string) => vars[name] ?? `<unset ${name}>`);
}

function matches(actual: unknown, op: string, value: unknown): boolean {
  const list = Array.isArray(value) ? value : [value];
  switch (op.toLowerCase()) {
    case '=': return String(actual) === String(value);
    case '!=': return actual !== undefined && String(actual) !== String(value);
    case 'in': return list.some((v) => String(v) === String(actual));
    case 'nin': case 'not_in': return actual !== undefined && !list.some((v) => String(v) === String(actual));
    case '>=': return Number(actual) >= Number(value);
    case '>': return Number(actual) > Number(value);
    case '<=': return Number(actual) <= Number(value);
    case '<': return Number(actual) < Number(value);
    case 'exists': return actual !== undefined;
    default: return false;
  }
}

interface Point { attributes: Record<string, unknown>; resource: Record<string, unknown>; count?: number; value?: number }

const lookup = (p: Point, k: Key): unknown => (k.type === 'resource' ? p.resource[k.key] : p.attributes[k.key]);

/** What is wrong with one metric query against the metrics received (empty: nothing). */
function metricProblems(q: Query, metrics: readonly MetricRecord[], vars: Vars): string[] {
  const records = metrics.filter((m) => m.name === q.metric);
  if (records.length === 0) return [`${q.where}: metric ${q.metric} was not exported`];
  const out: string[] = [];
  const types = new Set(records.map((m) => m.type));
  if (!types.has(TYPES[q.metricType] ?? `<${q.metricType}>`)) out.push(`${q.where}: ${q.metric} is declared ${q.metricType}, exported as ${[...types].join(', ')}`);
  const unit = UNITS[q.unit];
  if (unit !== undefined && !records.every((m) => m.unit === unit)) out.push(`${q.where}: shown in ${q.unit}, ${q.metric} is in ${records[0]?.unit ?? '?'}`);
  const points: Point[] = records.flatMap((m) => m.points.map((p) => ({ ...p, resource: m.resource })));
  for (const k of [...q.filters.map((f) => f.key), ...q.groupBy]) {
    if (k.type !== 'resource' && k.type !== 'tag') out.push(`${q.where}: ${k.key} has type "${k.type}" (resource or tag expected)`);
    else if (!points.some((p) => lookup(p, k) !== undefined)) out.push(`${q.where}: ${q.metric} has no ${k.type === 'resource' ? 'resource attribute' : 'point attribute'} ${k.key}`);
  }
  const hit = points.filter((p) => (p.count ?? 1) > 0 && q.filters.every((f) => matches(lookup(p, f.key), f.op, resolve(f.value, vars))));
  if (hit.length === 0) out.push(`${q.where}: no exported point of ${q.metric} passes the filters ${JSON.stringify(q.filters.map((f) => [f.key.key, f.op, resolve(f.value, vars)]))}`);
  for (const k of q.groupBy) if (hit.length > 0 && !hit.every((p) => lookup(p, k) !== undefined)) out.push(`${q.where}: group by ${k.key}: missing on some matching points`);
  return out;
}

/** SigNoz's log columns and where the OTLP record has them. */
const LOG_FIELDS: Record<string, (l: LogRecordOut) => unknown> = {
  timestamp: () => 'always',
  body: (l) => l.body,
  severity_text: (l) => l.severityText,
  trace_id: (l) => l.traceId,
  span_id: (l) => l.spanId,
};

function logLookup(l: LogRecordOut, k: Key): unknown {
  if (k.type === 'resource') return l.resource[k.key];
  if (k.type === 'tag') return l.attributes[k.key];
  return LOG_FIELDS[k.key]?.(l);
}

function logProblems(q: Query, logs: readonly LogRecordOut[], vars: Vars): string[] {
  const out: string[] = [];
  for (const k of q.filters.map((f) => f.key)) if (!logs.some((l) => logLookup(l, k) !== undefined)) out.push(`${q.where}: no log record has ${k.key} (${k.type || 'column'})`);
  for (const f of q.fields) if (LOG_FIELDS[f] === undefined) out.push(`${q.where}: log field ${f} is not a SigNoz log column we fill`);
  const hit = logs.filter((l) => q.filters.every((f) => matches(logLookup(l, f.key), f.op, resolve(f.value, vars))));
  if (hit.length === 0) return [...out, `${q.where}: no exported log record passes the filters`];
  for (const f of q.fields) {
    const get = LOG_FIELDS[f];
    if (get !== undefined && !hit.some((l) => get(l) !== undefined && get(l) !== '')) out.push(`${q.where}: log field ${f} is empty on every matching record`);
  }
  return out;
}

/** Everything wrong with `queries` against what the receiver got; empty when every query finds what it names. */
export function problems(queries: readonly Query[], st: ReceiverState, vars: Vars): string[] {
  return queries.flatMap((q) => {
    if (q.dataSource === 'metrics') return metricProblems(q, st.metrics, vars);
    if (q.dataSource === 'logs') return logProblems(q, st.logs, vars);
    return [`${q.where}: data source ${q.dataSource} is not checked here`];
  });
}

/** What is wrong with the variables' SQL (metric names, label keys) against the export. */
export function variableProblems(refs: ReturnType<typeof variableRefs>, st: ReceiverState): string[] {
  return refs.flatMap((r) => {
    const records = st.metrics.filter((m) => m.name === r.metric);
    if (records.length === 0) return [`${r.where}: metric ${r.metric || '(none)'} was not exported`];
    return r.keys.filter((k) => !records.some((m) => m.resource[k] !== undefined || m.points.some((p) => p.attributes[k] !== undefined)))
      .map((k) => `${r.where}: label ${k} not on ${r.metric}`);
  });
}

/** Query names a formula expression uses (A, B, ...). */
const referenced = (expression: string): string[] => [...expression.matchAll(/\b([A-Z]\d*)\b/g)].map((m) => m[1] ?? '');

/** Formulas that name a query that is not there, and rules whose condition reads a query that is not there. */
export function structureProblems(dashboard: Json, rules: unknown[]): string[] {
  const out: string[] = [];
  for (const w of arr(dashboard.widgets).map(obj)) {
    const builder = obj(obj(w.query).builder);
    const names = new Set(arr(builder.queryData).map((q) => str(obj(q).queryName)));
    for (const f of arr(builder.queryFormulas).map(obj)) {
      for (const r of referenced(str(f.expression))) if (!names.has(r)) out.push(`widget ${str(w.id)}: formula ${str(f.expression)} names ${r}, not a query of the panel`);
    }
  }
  const ids = new Set(arr(dashboard.widgets).map((w) => str(obj(w).id)));
  for (const l of arr(dashboard.layout).map(obj)) if (!ids.has(str(l.i))) out.push(`layout entry ${str(l.i)} has no widget`);
  for (const id of ids) if (!arr(dashboard.layout).some((l) => str(obj(l).i) === id)) out.push(`widget ${id} has no layout entry`);
  for (const rule of rules.map(obj)) {
    const condition = obj(rule.condition);
    const queries = obj(obj(condition.compositeQuery).builderQueries);
    if (queries[str(condition.selectedQueryName)] === undefined) out.push(`rule "${str(rule.alert)}": selectedQueryName ${str(condition.selectedQueryName)} is not one of its queries`);
    for (const q of Object.values(queries).map(obj)) {
      for (const r of referenced(str(q.expression))) if (queries[r] === undefined) out.push(`rule "${str(rule.alert)}": ${str(q.queryName)} names ${r}, not one of its queries`);
    }
  }
  return out;
}
