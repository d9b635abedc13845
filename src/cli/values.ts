// A chart values file as the webhook would see it: the INJECT_* environment that
// charts/otel-injector/templates/deployment.yaml renders from the values, then src/config parses it.
// test/cli/values.test.ts renders the real chart with the real helm binary for several values files and
// requires this mapping to produce exactly the same INJECT_* variables, so the two cannot drift apart.
import { parse } from 'yaml';
import { DEFAULT_RUNTIME_NAMES } from '../runtimes/index.js';
import { inputError } from './errors.js';
import { yamlMessage } from './manifests.js';

type Obj = Record<string, unknown>;

/** The chart's defaults for the values the injection reads (charts/otel-injector/values.yaml). */
export const CHART_DEFAULTS: Obj = {
  payload: {
    image: { repository: 'ghcr.io/otel-injector/payload', tag: '', digest: '', pullPolicy: 'IfNotPresent' },
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
    volumeSizeLimit: '64Mi',
    runAsUser: 65532,
    mountPath: '/otel-injector',
    command: [],
    delivery: 'init-container',
  },
  inject: {
    runtimes: [...DEFAULT_RUNTIME_NAMES],
    otlpEndpoint: 'http://signoz-otel-collector.signoz.svc.cluster.local:4318',
    extraEnv: {},
    overrideEnv: {},
    skipOwnerKinds: [],
    useWellKnownLabels: false,
  },
  collector: {
    tracesEndpoint: '',
    metricsEndpoint: '',
    logsEndpoint: '',
    secretName: 'otel-injector-collector',
    mountPath: '/var/run/otel-injector/collector',
    ca: { configMap: { name: '', key: 'ca.crt' }, secret: { name: '', key: 'ca.crt' }, pem: '' },
    clientCertificate: { secretName: '' },
    headers: [],
  },
  extraEnv: [],
};

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's coalescing: maps merge key by key, anything else replaces, null removes the key. */
export function mergeValues(base: Obj, override: Obj): Obj {
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (isObj(value) && isObj(out[key])) out[key] = mergeValues(out[key] as Obj, value);
    else out[key] = value;
  }
  return out;
}

function at(values: Obj, path: string): unknown {
  let node: unknown = values;
  for (const key of path.split('.')) node = isObj(node) ? node[key] : undefined;
  return node;
}

/** Go template `toString`/`quote` of a scalar. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

function imageRef(image: unknown, appVersion: string): string {
  const img = isObj(image) ? image : {};
  const repository = text(img.repository);
  if (text(img.digest) !== '') return `${repository}@${text(img.digest)}`;
  return `${repository}:${text(img.tag) === '' ? appVersion : text(img.tag)}`;
}

/** JSON with map keys sorted, as Go's encoding/json (helm's toJson) writes it. */
function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isObj(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${goJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The collector's INJECT_* variables, as the template's `otel-injector.collectorItems` helper derives them. */
function collectorEnvOf(values: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const signal of ['traces', 'metrics', 'logs']) {
    const url = text(at(values, `collector.${signal}Endpoint`));
    if (url !== '') env[`INJECT_OTLP_${signal.toUpperCase()}_ENDPOINT`] = url;
  }
  const ca = ['collector.ca.configMap.name', 'collector.ca.secret.name', 'collector.ca.pem'].some((path) => text(at(values, path)) !== '');
  env.INJECT_COLLECTOR_SECRET_NAME = text(at(values, 'collector.secretName'));
  env.INJECT_COLLECTOR_MOUNT_PATH = text(at(values, 'collector.mountPath'));
  env.INJECT_COLLECTOR_CA = String(ca);
  env.INJECT_COLLECTOR_CLIENT_CERT = String(text(at(values, 'collector.clientCertificate.secretName')) !== '');
  env.INJECT_COLLECTOR_HEADERS = String(list(at(values, 'collector.headers')).length > 0);
  return env;
}

/** The INJECT_* variables the chart's Deployment template sets for these (already merged) values. */
export function injectEnvOf(values: Obj, appVersion: string): Record<string, string> {
  const env: Record<string, string> = {
    INJECT_RUNTIMES: list(at(values, 'inject.runtimes')).map(text).join(','),
    INJECT_OTLP_ENDPOINT: text(at(values, 'inject.otlpEndpoint')),
    INJECT_PAYLOAD_IMAGE: imageRef(at(values, 'payload.image'), appVersion),
    INJECT_IMAGE_PULL_POLICY: text(at(values, 'payload.image.pullPolicy')),
    INJECT_MOUNT_PATH: text(at(values, 'payload.mountPath')),
    INJECT_VOLUME_SIZE_LIMIT: text(at(values, 'payload.volumeSizeLimit')),
    INJECT_INIT_CPU_REQUEST: text(at(values, 'payload.resources.requests.cpu')),
    INJECT_INIT_CPU_LIMIT: text(at(values, 'payload.resources.limits.cpu')),
    INJECT_INIT_MEMORY_REQUEST: text(at(values, 'payload.resources.requests.memory')),
    INJECT_INIT_MEMORY_LIMIT: text(at(values, 'payload.resources.limits.memory')),
    INJECT_INIT_RUN_AS_USER: text(at(values, 'payload.runAsUser')),
    INJECT_EXTRA_ENV: goJson(at(values, 'inject.extraEnv')),
    INJECT_OVERRIDE_ENV: goJson(at(values, 'inject.overrideEnv')),
    INJECT_USE_WELL_KNOWN_LABELS: text(at(values, 'inject.useWellKnownLabels')),
    INJECT_SKIP_OWNER_KINDS: list(at(values, 'inject.skipOwnerKinds')).map(text).join(','),
  };
  const delivery = text(at(values, 'payload.delivery')) || 'init-container';
  env.INJECT_DELIVERY = delivery;
  // the chart mounts the controller's ConfigMap there (templates/_helpers.tpl otel-injector.deliveryMountPath)
  if (delivery !== 'init-container') env.INJECT_DELIVERY_SUPPORT_FILE = '/etc/otel-injector/delivery/support.json';
  Object.assign(env, collectorEnvOf(values));
  const command = list(at(values, 'payload.command'));
  if (command.length > 0) env.INJECT_INIT_COMMAND = goJson(command);
  // The chart appends .Values.extraEnv to the container env: a literal INJECT_* there wins (last entry).
  for (const entry of list(values.extraEnv)) {
    if (isObj(entry) && typeof entry.name === 'string' && entry.name.startsWith('INJECT_') && typeof entry.value === 'string') {
      env[entry.name] = entry.value;
    }
  }
  return env;
}

/** Parses values files (YAML or JSON, in order, later ones win) merged over the chart's defaults. */
export function mergedValues(files: ReadonlyArray<{ name: string; text: string }>): Obj {
  let values: Obj = CHART_DEFAULTS;
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = parse(file.text, { prettyErrors: true });
    } catch (error) {
      const at = (error as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
      const where = at === undefined ? file.name : `${file.name}:${at.line}:${at.col}`;
      throw inputError(`${where}: YAML syntax error: ${yamlMessage((error as Error).message)}`);
    }
    if (parsed === null || parsed === undefined) continue;
    if (!isObj(parsed)) throw inputError(`${file.name}: a values file must be a YAML map`);
    values = mergeValues(values, parsed);
  }
  return values;
}
