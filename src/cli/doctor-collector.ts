// `doctor`'s collector-credential checks (issue 21), from what the dry-run pod came back with: the collector
// Secret it mounts or refers to must exist, with the keys it uses, in every opted-in namespace, and hold what
// the controller's sources hold now (doctor-collector-sources.ts); and the CA in
// it must verify the certificate the collector serves (checked from where doctor runs, which must reach the
// collector: inside the cluster, e.g. `kubectl exec` into the webhook, for a Service name). Secret values are
// read into memory for the check only, never printed.
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { posix } from 'node:path';
import { CliError, EXIT } from './errors.js';
import { expectedCopy, staleKeys, type Expected } from './doctor-collector-sources.js';
import { find, type Kube } from './kube.js';
import { pemCertificates, servedCertificate, verifyChain } from './tls.js';

type Result = 'pass' | 'warn' | 'fail' | 'skip';
interface Finding { readonly check: string; readonly result: Result; readonly message: string; readonly hint?: string }
const finding = (check: string, result: Result, message: string, hint?: string): Finding => ({ check, result, message, ...(hint === undefined ? {} : { hint }) });

/** What the injected pod takes from the collector Secret. */
export interface CollectorUse {
  readonly secretName: string;
  /** Keys of the Secret the pod uses (files of the mounted volume, the headers' secretKeyRef). */
  readonly keys: readonly string[];
  /** The key holding the CA bundle, when the pod trusts one from the Secret. */
  readonly caKey: string | undefined;
  readonly endpoint: string | undefined;
}

const FILE_VARIABLES = ['OTEL_EXPORTER_OTLP_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_KEY', 'OTEL_INJECTOR_HEADERS_FILE'];

type Container = NonNullable<V1Pod['spec']>['containers'][number];

function lastValue(container: Container, name: string): string | undefined {
  return (container.env ?? []).filter((e) => e.name === name).at(-1)?.value;
}

/** The Secret key a file variable points at, when its directory is a mounted Secret volume. */
function fileKey(container: Container, volumes: ReadonlyMap<string, string>, name: string): { secret: string; key: string } | undefined {
  const file = lastValue(container, name);
  if (file === undefined) return undefined;
  const mount = (container.volumeMounts ?? []).find((m) => file.startsWith(`${m.mountPath}/`));
  const secret = mount === undefined ? undefined : volumes.get(mount.name);
  return secret === undefined ? undefined : { secret, key: posix.basename(file) };
}

function headersRef(container: Container): Array<{ secret: string; key: string }> {
  const ref = (container.env ?? []).filter((e) => e.name === 'OTEL_EXPORTER_OTLP_HEADERS').at(-1)?.valueFrom?.secretKeyRef;
  return ref?.name !== undefined && ref.key !== undefined ? [{ secret: ref.name, key: ref.key }] : [];
}

function containerUse(container: Container, volumes: ReadonlyMap<string, string>): CollectorUse | undefined {
  const files = FILE_VARIABLES.map((name) => [name, fileKey(container, volumes, name)] as const).filter(([, found]) => found !== undefined);
  const all = [...files.map(([, found]) => found), ...headersRef(container)].filter((x) => x !== undefined);
  const first = all[0];
  if (first === undefined) return undefined;
  const caKey = files.find(([name]) => name === 'OTEL_EXPORTER_OTLP_CERTIFICATE')?.[1]?.key;
  const keys = [...new Set(all.map((x) => x.key))].sort();
  return { secretName: first.secret, keys, caKey, endpoint: lastValue(container, 'OTEL_EXPORTER_OTLP_ENDPOINT') };
}

/** Reads the dry-run pod's first container that uses the collector Secret; undefined when none does. */
export function collectorUse(pod: V1Pod | undefined): CollectorUse | undefined {
  const volumes = new Map((pod?.spec?.volumes ?? []).flatMap((v) => (v.secret?.secretName === undefined ? [] : [[v.name, v.secret.secretName] as const])));
  for (const container of pod?.spec?.containers ?? []) {
    const use = containerUse(container, volumes);
    if (use !== undefined) return use;
  }
  return undefined;
}

async function readSecret(kube: Kube, name: string, namespace: string): Promise<V1Secret | undefined> {
  return find(kube, { verb: 'get', resource: 'secrets', namespace }, () => kube.core.readNamespacedSecret({ name, namespace }));
}

const FIX_COPY = `the controller keeps it there from the chart's collector sources: check its log for "collector secret:" warnings (a source missing in the release namespace) and that controller.mode is not off (then create it yourself, charts/otel-injector/README.md, "Collector TLS and credentials"); pods read it without a restart once it is there`;
const FIX_STALE = 'the controller updates the copies every collector.syncSeconds: check that it runs (otel-injector status) and its log for "collector secret:" warnings; the pods read a renewed copy without a restart';

interface Problem { readonly line: string; readonly hint: string }

/** What is wrong with one namespace's copy (missing, a key missing, stale), or undefined. */
function copyProblem(namespace: string, secret: V1Secret | undefined, use: CollectorUse, expected: Expected): Problem | undefined {
  if (secret === undefined) return { line: `${namespace}: no Secret ${use.secretName}: its pods export without their collector credentials`, hint: FIX_COPY };
  const missing = use.keys.filter((key) => secret.data?.[key] === undefined);
  if (missing.length > 0) return { line: `${namespace}: Secret ${use.secretName} has no key ${missing.join(', ')}: its pods export without it`, hint: FIX_COPY };
  if (!('data' in expected)) return undefined;
  const stale = staleKeys(secret.data ?? {}, expected.data);
  if (stale.length === 0) return undefined;
  return { line: `${namespace}: Secret ${use.secretName} is stale: ${stale.join(', ')} differ${stale.length === 1 ? 's' : ''} from the sources in ${expected.from} (compared by SHA-256)`, hint: FIX_STALE };
}

/** One fail per problem (a hint once per run of the same hint), else one pass; and why the copies were not compared. */
function secretFindings(use: CollectorUse, namespaces: readonly string[], problems: readonly Problem[], expected: Expected, copies: number): Finding[] {
  const findings = problems.map((p, i) => finding('collector-secret', 'fail', p.line, problems[i + 1]?.hint !== p.hint ? p.hint : undefined));
  const present = `Secret ${use.secretName} (keys ${use.keys.join(', ')}) is in each of the ${namespaces.length} opted-in namespace(s)`;
  if (problems.length === 0) findings.push(finding('collector-secret', 'pass', 'data' in expected ? `${present}, current with its sources in ${expected.from}` : present));
  if (!('data' in expected) && copies > 0) findings.push(finding('collector-secret', expected.result, `copies not compared with their sources: ${expected.reason}`));
  return findings;
}

/**
 * Every opted-in namespace has the Secret with every key the pod uses, holding what the sources hold now
 * (`expected`): one finding per namespace whose copy is missing, lacks a key or is stale, else one pass.
 */
export async function checkCollectorSecret(kube: Kube, use: CollectorUse, namespaces: readonly string[], expected: Expected): Promise<{ findings: Finding[]; copies: Map<string, V1Secret> }> {
  const copies = new Map<string, V1Secret>();
  const problems: Problem[] = [];
  for (const namespace of namespaces) {
    let secret: V1Secret | undefined;
    try {
      secret = await readSecret(kube, use.secretName, namespace);
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.forbidden) {
        return { findings: [finding('collector-secret', 'warn', `cannot check Secret ${use.secretName} in the opted-in namespaces: ${error.message}`)], copies };
      }
      throw error;
    }
    if (secret !== undefined) copies.set(namespace, secret);
    const problem = copyProblem(namespace, secret, use, expected);
    if (problem !== undefined) problems.push(problem);
  }
  return { findings: secretFindings(use, namespaces, problems, expected, copies.size), copies };
}

const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN']);

function endpointOf(url: URL): { host: string; port: number } {
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 443 : Number(url.port) };
}

function unreachable(use: CollectorUse, host: string, error: unknown): Finding {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && UNRESOLVED.has(code)) {
    return finding('collector-ca', 'skip', `${host} does not resolve from here: run doctor inside the cluster (kubectl -n otel-injector exec -i deploy/otel-injector -- /nodejs/bin/node /app/dist/cli/main.js doctor)`);
  }
  return finding('collector-ca', 'warn', `cannot reach ${String(use.endpoint)} from here to check its certificate: ${(error as Error).message}`);
}

/** The CA of the first copy verifies the certificate the collector serves, for the endpoint's host. */
export async function checkCollectorCa(use: CollectorUse, copies: ReadonlyMap<string, V1Secret>, now: Date, timeoutMs: number): Promise<Finding | undefined> {
  if (use.caKey === undefined || use.endpoint?.startsWith('https:') !== true) return undefined;
  const found = [...copies.entries()].find(([, secret]) => secret.data?.[use.caKey ?? ''] !== undefined);
  if (found === undefined) return finding('collector-ca', 'skip', 'no copy of the CA to check the collector with (see collector-secret)');
  const [namespace, secret] = found;
  const data = secret.data?.[use.caKey] ?? '';
  const { host, port } = endpointOf(new URL(use.endpoint));
  let problem: string | undefined;
  try {
    const served = await servedCertificate(host, port, host, timeoutMs);
    problem = verifyChain(served.leaf, served.intermediates, pemCertificates(Buffer.from(data, 'base64').toString('utf8')), host, now);
  } catch (error) {
    return unreachable(use, host, error);
  }
  const where = `${namespace}/${use.secretName}`;
  return problem === undefined
    ? finding('collector-ca', 'pass', `the CA in ${where} verifies the certificate ${use.endpoint} serves`)
    : finding('collector-ca', 'fail', `${use.endpoint}: ${problem.replace('the caBundle', `the CA in ${where}`)}`, "put the CA that signed the collector's certificate in collector.ca (or renew the collector's certificate)");
}

/** Where the controller runs: the release namespace (undefined when unknown) and its Deployment's name. */
export interface Release {
  readonly namespace: string | undefined;
  readonly controllerName: string;
}

/** Both checks, or nothing when the pod uses no collector Secret. */
export async function checkCollectorCredentials(kube: Kube, pod: V1Pod | undefined, namespaces: readonly string[], release: Release, now: Date, timeoutMs: number): Promise<Finding[]> {
  const use = collectorUse(pod);
  if (use === undefined || namespaces.length === 0) return [];
  const expected = await expectedCopy(kube, release.namespace, release.controllerName, use.secretName);
  const { findings, copies } = await checkCollectorSecret(kube, use, namespaces, expected);
  const ca = await checkCollectorCa(use, copies, now, timeoutMs);
  return ca === undefined ? findings : [...findings, ca];
}
