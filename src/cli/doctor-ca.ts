// doctor's `ca-bundle` check: the webhook configuration's caBundle verifies the certificate the webhook serves.
// By URL: the certificate served there. By Service: the certificate the webhook Deployment behind the Service
// really uses (serving-cert.ts follows its env and volumes in every certificate mode), read through the API.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { X509Certificate } from 'node:crypto';
import { finding, type DoctorContext, type Finding } from './doctor-checks.js';
import { CliError, EXIT } from './errors.js';
import { call, find, type Kube } from './kube.js';
import { selects, servingCertSource, type CertObject } from './serving-cert.js';
import { pemCertificates, servedCertificate, verifyChain } from './tls.js';

const RENEW_HINT = 'self-managed: the webhook rewrites the caBundle within CERT_CHECK_INTERVAL_SECONDS (check its logs and its RBAC); cert-manager: check the cainjector; secret mode: certificates.secret.caBundle must be the CA that signed certificates.secret.name';

async function servedByUrl(ctx: DoctorContext, url: string, roots: X509Certificate[]): Promise<Finding> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = Number(parsed.port === '' ? 443 : parsed.port);
  try {
    const served = await servedCertificate(host, port, host, ctx.timeoutMs);
    const problem = verifyChain(served.leaf, served.intermediates, roots, host, ctx.now);
    if (problem !== undefined) return finding('ca-bundle', 'fail', `caBundle does not verify the certificate served at ${parsed.origin}: ${problem}`, RENEW_HINT);
    return finding('ca-bundle', 'pass', `caBundle verifies the certificate served at ${parsed.origin} (valid until ${served.leaf.validTo})`);
  } catch (error) {
    return finding('ca-bundle', 'fail', `cannot connect to the webhook at ${parsed.origin} to read its certificate: ${(error as Error).message}`, 'is the webhook running? the API server gets the same error');
  }
}

/** The PEM text of one object's key; undefined when the object or the key is missing. */
async function readPem(kube: Kube, object: CertObject, namespace: string): Promise<string | undefined> {
  if (object.kind === 'Secret') {
    const secret = await find(kube, { verb: 'get', resource: 'secrets', namespace }, () => kube.core.readNamespacedSecret({ name: object.name, namespace }));
    const data = secret?.data?.[object.key];
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  }
  const map = await find(kube, { verb: 'get', resource: 'configmaps', namespace }, () => kube.core.readNamespacedConfigMap({ name: object.name, namespace }));
  return map?.data?.[object.key];
}

const skip = (why: string): Finding => finding('ca-bundle', 'skip', `${why}; the dry-run check below is the API server's verdict`);
const named = (objects: readonly CertObject[], namespace: string): string => objects.map((o) => `${o.kind} ${namespace}/${o.name} key ${o.key}`).join(' or ');

/** Checks the certificate one Deployment serves; CliErrors (forbidden) are the caller's. */
async function checkDeployment(ctx: DoctorContext, deployment: V1Deployment, namespace: string, host: string, roots: X509Certificate[]): Promise<Finding> {
  const name = `Deployment ${namespace}/${deployment.metadata?.name ?? ''}`;
  const source = servingCertSource(deployment);
  if ('unreadable' in source) return skip(`cannot read the serving certificate of ${name}: ${source.unreadable}`);
  let pem: string | undefined;
  for (const object of source.objects) pem ??= await readPem(ctx.kube, object, namespace);
  const from = named(source.objects, namespace);
  const [leaf, ...rest] = pem === undefined ? [] : pemCertificates(pem);
  if (leaf === undefined) {
    return finding('ca-bundle', 'fail', `${name} serves the certificate in ${from} (${source.where}), which does not exist or holds no PEM certificate: its pods cannot serve TLS`, 'self-managed: the webhook writes it at start (check its logs and RBAC); cert-manager: kubectl describe certificate; secret mode: create the Secret named by certificates.secret.name');
  }
  const problem = verifyChain(leaf, rest, roots, host, ctx.now);
  return problem === undefined
    ? finding('ca-bundle', 'pass', `caBundle verifies the serving certificate ${name} uses (${from}) for ${host} (valid until ${leaf.validTo})`)
    : finding('ca-bundle', 'fail', `caBundle does not verify the serving certificate ${name} uses (${from}): ${problem}`, RENEW_HINT);
}

async function servedByDeployment(ctx: DoctorContext, service: V1Service | undefined, roots: X509Certificate[]): Promise<Finding> {
  const ref = ctx.entry.clientConfig.service;
  if (ref === undefined) return finding('ca-bundle', 'skip', 'no service reference');
  if (service === undefined) return skip(`no Service ${ref.namespace}/${ref.name} to follow to the webhook Deployment`);
  const namespace = ref.namespace;
  try {
    const list = await call(ctx.kube, { verb: 'list', resource: 'deployments.apps', namespace }, () => ctx.kube.apps.listNamespacedDeployment({ namespace }));
    const serving = list.items.filter((d) => selects(service.spec?.selector, d.spec?.template.metadata?.labels));
    if (serving.length === 0) return skip(`no Deployment in ${namespace} runs the pods of Service ${ref.name}`);
    const findings = [];
    for (const deployment of serving) findings.push(await checkDeployment(ctx, deployment, namespace, `${ref.name}.${namespace}.svc`, roots));
    return findings.find((f) => f.result === 'fail') ?? findings.find((f) => f.result === 'skip') ?? (findings[0] as Finding);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === EXIT.forbidden) return skip(`serving certificate not readable: ${error.message}`);
    throw error;
  }
}

export async function checkCaBundle(ctx: DoctorContext, service: V1Service | undefined): Promise<Finding> {
  const bundle = ctx.entry.clientConfig.caBundle;
  if (bundle === undefined || bundle === '') {
    return finding('ca-bundle', 'fail', 'caBundle is empty: the API server cannot verify the webhook, pods are created uninstrumented', 'self-managed: the webhook fills it at start (check its logs and RBAC); cert-manager: check the cainjector');
  }
  let roots;
  try {
    roots = pemCertificates(bundle);
  } catch (error) {
    return finding('ca-bundle', 'fail', `caBundle is not a PEM certificate: ${(error as Error).message}`);
  }
  if (roots.length === 0) return finding('ca-bundle', 'fail', 'caBundle holds no PEM certificate');
  const url = ctx.entry.clientConfig.url;
  return url !== undefined ? servedByUrl(ctx, url, roots) : servedByDeployment(ctx, service, roots);
}
