// doctor's ca-bundle check reads the certificate the webhook Deployment really uses, in every certificate mode
// of the chart: the Deployment, Service and webhook configuration are the chart's own (helm template), the
// certificates real (src/certs), the API a stand-in answering the list of Deployments and Secret/ConfigMap reads.
import t from 'tap';
import type { V1ConfigMap, V1Deployment, V1MutatingWebhook, V1Secret, V1Service } from '@kubernetes/client-node';
import { issueCa, issueServingCert, serviceHosts, type IssuedPair } from '../../src/certs/issue.js';
import { checkCaBundle } from '../../src/cli/doctor-ca.js';
import type { DoctorContext } from '../../src/cli/doctor-checks.js';
import type { Kube } from '../../src/cli/kube.js';
import { all, FULLNAME, NAMESPACE, one, render, type Manifest, type Obj } from '../chart/lib/render.js';

const now = new Date();
const authority = await issueCa({ commonName: 'webhook ca', validityDays: 1, now });
const stranger = await issueCa({ commonName: 'some other ca', validityDays: 1, now });
const serving = await issueServingCert(authority, { hosts: serviceHosts(FULLNAME, NAMESPACE), validityDays: 1, now });
const wrongName = await issueServingCert(authority, { hosts: ['elsewhere.example'], validityDays: 1, now });

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const tlsSecret = (pair: IssuedPair): V1Secret => ({ data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64('not read') } });

interface World {
  deployments: V1Deployment[] | 'forbidden';
  secrets?: Record<string, V1Secret>;
  configMaps?: Record<string, V1ConfigMap>;
}

const notFound = (): Promise<never> => Promise.reject(Object.assign(new Error('not found'), { code: 404 }));

function kube(world: World, reads: string[] = []): Kube {
  const listNamespacedDeployment = ({ namespace }: { namespace: string }): Promise<{ items: V1Deployment[] }> => {
    if (world.deployments === 'forbidden') return Promise.reject(Object.assign(new Error('forbidden'), { code: 403, body: '{"message":"deployments.apps is forbidden"}' }));
    return namespace === NAMESPACE ? Promise.resolve({ items: world.deployments }) : Promise.resolve({ items: [] });
  };
  const readNamespacedSecret = ({ name, namespace }: { name: string; namespace: string }): Promise<V1Secret> => {
    reads.push(`Secret ${namespace}/${name}`);
    const found = namespace === NAMESPACE ? world.secrets?.[name] : undefined;
    return found === undefined ? notFound() : Promise.resolve(found);
  };
  const readNamespacedConfigMap = ({ name, namespace }: { name: string; namespace: string }): Promise<V1ConfigMap> => {
    reads.push(`ConfigMap ${namespace}/${name}`);
    const found = namespace === NAMESPACE ? world.configMaps?.[name] : undefined;
    return found === undefined ? notFound() : Promise.resolve(found);
  };
  return { server: 'https://127.0.0.1:6443', context: 'test', namespace: 'default', core: { readNamespacedSecret, readNamespacedConfigMap }, apps: { listNamespacedDeployment } } as unknown as Kube;
}

interface Install { deployments: V1Deployment[]; service: V1Service; entry: V1MutatingWebhook }

async function install(values: Obj): Promise<Install> {
  const m = await render(4, values);
  const entry = structuredClone((one(m, 'MutatingWebhookConfiguration').webhooks as V1MutatingWebhook[])[0] as V1MutatingWebhook);
  const ref = entry.clientConfig.service;
  const service = all(m, 'Service').find((s: Manifest) => s.metadata.name === ref?.name) as unknown as V1Service;
  return { deployments: all(m, 'Deployment') as unknown as V1Deployment[], service, entry };
}

function ctx(inst: Install, world: World, caPem: string): DoctorContext {
  const entry = { ...inst.entry, clientConfig: { ...inst.entry.clientConfig, caBundle: b64(caPem) } };
  return { kube: kube(world), now, timeoutMs: 1000, entry, configName: FULLNAME, expected: [] };
}

const MODES: Array<{ name: string; values: Obj; secret: string }> = [
  { name: 'self-managed', values: {}, secret: `${FULLNAME}-tls` },
  { name: 'self-managed, certificates.selfManaged.secretName', values: { certificates: { selfManaged: { secretName: 'own-tls' } } }, secret: 'own-tls' },
  { name: 'cert-manager', values: { certificates: { mode: 'cert-manager' } }, secret: `${FULLNAME}-tls` },
  { name: 'secret, certificates.secret.name', values: { certificates: { mode: 'secret', secret: { name: 'corp-webhook-tls', caBundle: authority.certPem } } }, secret: 'corp-webhook-tls' },
];

for (const mode of MODES) {
  void t.test(`certificates.mode ${mode.name}: the Secret the Deployment uses (${mode.secret})`, async (t) => {
    const inst = await install(mode.values);
    // a decoy under the old guessed name <fullname>-tls, holding a certificate the caBundle does not verify
    const decoy: Record<string, V1Secret> = mode.secret === `${FULLNAME}-tls` ? {} : { [`${FULLNAME}-tls`]: tlsSecret(wrongName) };
    const good = await checkCaBundle(ctx(inst, { deployments: inst.deployments, secrets: { ...decoy, [mode.secret]: tlsSecret(serving) } }, authority.certPem), inst.service);
    t.equal(good.result, 'pass', good.message);
    t.match(good.message, new RegExp(`caBundle verifies the serving certificate Deployment ${NAMESPACE}/${FULLNAME} uses \\(Secret ${NAMESPACE}/${mode.secret} key tls\\.crt\\) for ${FULLNAME}\\.${NAMESPACE}\\.svc`));

    const other = await checkCaBundle(ctx(inst, { deployments: inst.deployments, secrets: { [mode.secret]: tlsSecret(serving) } }, stranger.certPem), inst.service);
    t.equal(other.result, 'fail', 'a caBundle that did not sign it');
    t.match(other.message, /did not sign the served certificate/);

    const renamed = await checkCaBundle(ctx(inst, { deployments: inst.deployments, secrets: { [mode.secret]: tlsSecret(wrongName) } }, authority.certPem), inst.service);
    t.equal(renamed.result, 'fail', 'a certificate for another name');
    t.match(renamed.message, new RegExp(`does not name ${FULLNAME}\\.${NAMESPACE}\\.svc`));

    const missing = await checkCaBundle(ctx(inst, { deployments: inst.deployments, secrets: decoy }, authority.certPem), inst.service);
    t.equal(missing.result, 'fail', 'the Secret it uses is missing (the decoy is not read instead)');
    t.match(missing.message, new RegExp(`Secret ${NAMESPACE}/${mode.secret} key tls\\.crt .*does not exist`));
  });
}

function withVolume(inst: Install, volume: Obj, certFile = '/var/run/otel-injector/tls/tls.crt'): V1Deployment[] {
  return inst.deployments.map((d) => {
    const copy = structuredClone(d) as unknown as { spec: { template: { spec: { volumes?: Obj[]; containers: Array<{ name: string; env?: Obj[] }> } } } };
    const spec = copy.spec.template.spec;
    if (spec.containers[0]?.name !== 'webhook') return d;
    spec.volumes = [...(spec.volumes ?? []).filter((v) => v.name !== 'tls'), { name: 'tls', ...volume }];
    spec.containers[0].env = (spec.containers[0].env ?? []).map((e) => (e.name === 'TLS_CERT_FILE' ? { ...e, value: certFile } : e));
    return copy as unknown as V1Deployment;
  });
}

void t.test('files mode follows TLS_CERT_FILE through items, ConfigMaps and projected volumes', async (t) => {
  const inst = await install({ certificates: { mode: 'cert-manager' } });
  const items = withVolume(inst, { secret: { secretName: 'bundle', items: [{ key: 'serving.pem', path: 'tls.crt' }] } });
  const viaItems = await checkCaBundle(ctx(inst, { deployments: items, secrets: { bundle: { data: { 'serving.pem': b64(serving.certPem) } } } }, authority.certPem), inst.service);
  t.equal(viaItems.result, 'pass', viaItems.message);
  t.match(viaItems.message, /Secret observability\/bundle key serving\.pem/);

  const projected = withVolume(inst, { projected: { sources: [{ configMap: { name: 'ca-only' } }, { secret: { name: 'proj-tls' } }] } });
  const reads: string[] = [];
  const world: World = { deployments: projected, secrets: { 'proj-tls': tlsSecret(serving) }, configMaps: { 'ca-only': { data: { 'ca.crt': authority.certPem } } } };
  const viaProjected = await checkCaBundle({ ...ctx(inst, world, authority.certPem), kube: kube(world, reads) }, inst.service);
  t.equal(viaProjected.result, 'pass', viaProjected.message);
  t.same(reads, ['ConfigMap observability/ca-only', 'Secret observability/proj-tls'], 'each source in order until one has the key');

  const configMap = withVolume(inst, { configMap: { name: 'public-cert' } });
  const viaConfigMap = await checkCaBundle(ctx(inst, { deployments: configMap, configMaps: { 'public-cert': { data: { 'tls.crt': serving.certPem } } } }, authority.certPem), inst.service);
  t.equal(viaConfigMap.result, 'pass', viaConfigMap.message);

  const csi = withVolume(inst, { csi: { driver: 'csi.cert-manager.io' } });
  const viaCsi = await checkCaBundle(ctx(inst, { deployments: csi }, authority.certPem), inst.service);
  t.equal(viaCsi.result, 'skip');
  t.match(viaCsi.message, /volume tls is a csi volume, not readable through the API; the dry-run check below is the API server's verdict/);

  const offVolume = withVolume(inst, { secret: { secretName: 'x' } }, '/etc/elsewhere/tls.crt');
  const viaNothing = await checkCaBundle(ctx(inst, { deployments: offVolume }, authority.certPem), inst.service);
  t.equal(viaNothing.result, 'skip');
  t.match(viaNothing.message, /TLS_CERT_FILE \/etc\/elsewhere\/tls\.crt is on no volume the container mounts/);
});

void t.test('nothing to read: ephemeral certificates, no Deployment behind the Service, no permission', async (t) => {
  const inst = await install({});
  const ephemeral = inst.deployments.map((d) => {
    const copy = structuredClone(d) as unknown as { spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string }> }> } } } };
    for (const c of copy.spec.template.spec.containers) c.env = (c.env ?? []).filter((e) => e.name !== 'CERT_MODE' && e.name !== 'CERT_SECRET_NAME');
    return copy as unknown as V1Deployment;
  });
  const inMemory = await checkCaBundle(ctx(inst, { deployments: ephemeral }, authority.certPem), inst.service);
  t.equal(inMemory.result, 'skip');
  t.match(inMemory.message, /CERT_MODE ephemeral: the certificate exists only in the webhook's memory/);

  const none = await checkCaBundle(ctx(inst, { deployments: [] }, authority.certPem), inst.service);
  t.equal(none.result, 'skip');
  t.match(none.message, new RegExp(`no Deployment in ${NAMESPACE} runs the pods of Service ${FULLNAME}`));

  const forbidden = await checkCaBundle(ctx(inst, { deployments: 'forbidden' }, authority.certPem), inst.service);
  t.equal(forbidden.result, 'skip');
  t.match(forbidden.message, /missing RBAC permission "list deployments\.apps" in namespace "observability"/);

  const noService = await checkCaBundle(ctx(inst, { deployments: inst.deployments }, authority.certPem), undefined);
  t.equal(noService.result, 'skip');
  t.match(noService.message, /no Service observability\/otel-otel-injector to follow/);
});
