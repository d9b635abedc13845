// helm template over a matrix of values, with Helm 3 and Helm 4; assertions on the parsed objects.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { issueCa } from '../../src/certs/issue.js';
import { checkCommon, mwcEntry, podTemplate, webhookContainer } from './lib/checks.js';
import { all, deploymentWith, dig, envMap, FULLNAME, HELM_MAJORS, isHook, NAMESPACE, one, render, webhookEnv, type Manifest, type Obj } from './lib/render.js';

/** A CA certificate from the project's own issuer (src/certs/issue.ts). */
async function selfSignedPem(): Promise<string> {
  return (await issueCa({ commonName: 'test-ca', validityDays: 1, now: new Date() })).certPem;
}

function rules(m: Manifest): Obj[] {
  return m.rules as Obj[];
}

/** Validates cert-manager objects against cert-manager's CRD schemas (as packaged by @kubernetes-models). */
function certManagerErrors(m: readonly Manifest[]): string[] {
  const errors: string[] = [];
  for (const obj of m.filter((x) => x.apiVersion === 'cert-manager.io/v1')) {
    const Model = obj.kind === 'Certificate' ? Certificate : obj.kind === 'Issuer' ? Issuer : undefined;
    try {
      if (Model === undefined) throw new Error(`unexpected kind ${obj.kind}`);
      new Model(obj as never).validate();
    } catch (err) {
      errors.push(`${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/** RBAC objects of the webhook itself (not the test hook's, not the controller's). */
function webhookRbac(manifests: readonly Manifest[], kind: string): Manifest[] {
  return all(manifests, kind).filter((m) => !isHook(m) && m.metadata.name === FULLNAME);
}

for (const major of HELM_MAJORS) {
  void t.test(`Helm ${major}`, async (t) => {
    void t.test('defaults: self-managed certificates', async (t) => {
      const m = await render(major);
      checkCommon(t, m);
      t.equal(dig(deploymentWith(m, 'webhook'), 'spec', 'replicas'), 2);
      t.equal(dig(one(m, 'PodDisruptionBudget'), 'spec', 'minAvailable'), 1);
      const spread = dig(podTemplate(m), 'spec', 'topologySpreadConstraints', 0) as Obj;
      t.equal(spread.topologyKey, 'kubernetes.io/hostname', 'spread over nodes');
      t.equal(spread.whenUnsatisfiable, 'ScheduleAnyway', 'a one-node cluster still runs both replicas');
      const w = mwcEntry(m);
      t.equal(w.failurePolicy, 'Ignore');
      t.equal(w.timeoutSeconds, 5);
      t.equal(dig(w, 'clientConfig', 'caBundle'), undefined, 'caBundle is left to the webhook');
      t.equal(one(m, 'MutatingWebhookConfiguration').metadata.annotations, undefined, 'no cert-manager annotation');
      const env = envMap(webhookEnv(m));
      t.equal(env.CERT_MODE, 'self-managed');
      t.equal(env.CERT_SECRET_NAME, `${FULLNAME}-tls`);
      t.equal(env.TLS_CERT_FILE, undefined);
      t.equal(env.INJECT_OTLP_ENDPOINT, 'http://signoz-otel-collector.signoz.svc.cluster.local:4318');
      t.equal(env.INJECT_RUNTIMES, 'node,python', 'both runtimes by default');
      t.equal(env.INJECT_PAYLOAD_IMAGE, 'ghcr.io/otel-injector/payload:0.1.0', 'init image tag defaults to appVersion');
      t.equal(webhookContainer(m).image, 'ghcr.io/otel-injector/otel-injector:0.1.0', 'image tag defaults to appVersion');
      t.equal(dig(podTemplate(m), 'spec', 'automountServiceAccountToken'), true, 'token mounted: it calls the API server');
      t.equal(all(m, 'Certificate').length, 0);

      const role = one(m, 'Role', FULLNAME);
      t.same(rules(role), [
        { apiGroups: [''], resources: ['secrets'], resourceNames: [`${FULLNAME}-tls`], verbs: ['get', 'patch'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ], 'Role: its own Secret by name, plus create (which cannot be restricted by name)');
      t.equal(role.metadata.namespace, NAMESPACE);
      t.same(rules(one(m, 'ClusterRole', FULLNAME)), [
        { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [FULLNAME], verbs: ['get', 'patch'] },
      ], 'ClusterRole: its own MutatingWebhookConfiguration by name only');
      t.equal(one(m, 'MutatingWebhookConfiguration').metadata.name, FULLNAME);
      t.equal(env.WEBHOOK_CONFIG_NAME, FULLNAME);
      const sa = dig(podTemplate(m), 'spec', 'serviceAccountName');
      for (const kind of ['RoleBinding', 'ClusterRoleBinding']) {
        t.same(dig(one(m, kind, FULLNAME), 'subjects'), [{ kind: 'ServiceAccount', name: sa, namespace: NAMESPACE }], `${kind} binds the webhook's ServiceAccount`);
      }
    });

    void t.test('cert-manager: Issuer chain, Certificate, CA injection, files mode, no RBAC', async (t) => {
      const m = await render(major, { certificates: { mode: 'cert-manager' } });
      checkCommon(t, m);
      t.equal(all(m, 'Certificate').length + all(m, 'Issuer').length, 4, 'two Issuers, two Certificates');
      t.same(certManagerErrors(m), [], 'valid against the cert-manager CRD schemas');
      const mwc = one(m, 'MutatingWebhookConfiguration');
      t.equal(mwc.metadata.annotations?.['cert-manager.io/inject-ca-from'], `${NAMESPACE}/${FULLNAME}`);
      const serving = one(m, 'Certificate', FULLNAME);
      t.same(dig(serving, 'spec', 'dnsNames'), [FULLNAME, `${FULLNAME}.${NAMESPACE}`, `${FULLNAME}.${NAMESPACE}.svc`, `${FULLNAME}.${NAMESPACE}.svc.cluster.local`]);
      t.equal(dig(serving, 'spec', 'secretName'), `${FULLNAME}-tls`);
      const caIssuerName = dig(serving, 'spec', 'issuerRef', 'name') as string;
      const caIssuer = one(m, 'Issuer', caIssuerName);
      const caCert = one(m, 'Certificate', `${FULLNAME}-ca`);
      t.equal(dig(caCert, 'spec', 'isCA'), true);
      t.equal(dig(caIssuer, 'spec', 'ca', 'secretName'), dig(caCert, 'spec', 'secretName'), 'CA Issuer uses the CA Certificate');
      t.same(dig(one(m, 'Issuer', dig(caCert, 'spec', 'issuerRef', 'name') as string), 'spec'), { selfSigned: {} });
      const env = envMap(webhookEnv(m));
      t.equal(env.CERT_MODE, 'files');
      t.equal(env.CERT_SECRET_NAME, undefined);
      const vol = (dig(podTemplate(m), 'spec', 'volumes') as Obj[]).find((v) => v.name === 'tls');
      t.equal(dig(vol, 'secret', 'secretName'), `${FULLNAME}-tls`, 'serving Secret is mounted');
      const mount = (webhookContainer(m).volumeMounts as Obj[]).find((v) => v.name === 'tls');
      t.equal(env.TLS_CERT_FILE, `${String(mount?.mountPath)}/tls.crt`);
      t.equal(env.TLS_KEY_FILE, `${String(mount?.mountPath)}/tls.key`);
      t.equal(dig(podTemplate(m), 'spec', 'automountServiceAccountToken'), false, 'no API token');
      for (const kind of ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']) {
        t.equal(webhookRbac(m, kind).length, 0, `no ${kind} for the webhook`);
      }
    });

    void t.test('secret: existing Secret, caBundle from PEM or base64', async (t) => {
      const pem = await selfSignedPem();
      const m = await render(major, { certificates: { mode: 'secret', secret: { name: 'my-tls', caBundle: pem } } });
      checkCommon(t, m);
      const ca = dig(mwcEntry(m), 'clientConfig', 'caBundle') as string;
      const decoded = Buffer.from(ca, 'base64').toString();
      t.equal(decoded.trim(), pem.trim(), 'PEM is base64-encoded into the caBundle');
      t.equal(new X509Certificate(decoded).subject, 'CN=test-ca\nO=otel-injector');
      const b64 = Buffer.from(pem).toString('base64');
      const m2 = await render(major, { certificates: { mode: 'secret', secret: { name: 'my-tls', caBundle: b64 } } });
      t.equal(dig(mwcEntry(m2), 'clientConfig', 'caBundle'), b64, 'base64 is used as is');
      const vol = (dig(podTemplate(m), 'spec', 'volumes') as Obj[]).find((v) => v.name === 'tls');
      t.equal(dig(vol, 'secret', 'secretName'), 'my-tls');
      t.equal(envMap(webhookEnv(m)).CERT_MODE, 'files');
      t.equal(all(m, 'Certificate').length + webhookRbac(m, 'Role').length + webhookRbac(m, 'ClusterRole').length, 0, 'no cert-manager objects, no RBAC for the webhook');
    });

    void t.test('failurePolicy Fail, timeout 10, custom namespace label, excluded namespaces', async (t) => {
      const m = await render(major, {
        webhook: { failurePolicy: 'Fail', timeoutSeconds: 10 },
        namespaceSelector: { labelKey: 'example.com/otel', labelValue: 'on', excludeNamespaces: ['legacy'] },
      });
      checkCommon(t, m, { labelKey: 'example.com/otel', labelValue: 'on' });
      const w = mwcEntry(m);
      t.equal(w.failurePolicy, 'Fail');
      t.equal(w.timeoutSeconds, 10);
      const nsSel = w.namespaceSelector as { matchExpressions: Obj[] };
      t.same(nsSel.matchExpressions[1]?.values, [NAMESPACE, 'kube-system', 'legacy']);
    });

    void t.test('injection values reach the webhook env', async (t) => {
      const m = await render(major, {
        inject: {
          otlpEndpoint: 'http://collector.obs:4318',
          extraEnv: { ENABLE_TRACING: 'true', ENABLE_OTEL_METRICS: 'true' },
          skipOwnerKinds: ['Job', 'CronJob'],
          useWellKnownLabels: true,
        },
        payload: { image: { tag: '9.9.9' }, volumeSizeLimit: '128Mi', resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: 1, memory: '128Mi' } } },
        logLevel: 'debug',
        shutdownDrainSeconds: 20,
        telemetry: { otlpEndpoint: 'http://collector.obs:4318' },
        extraEnv: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ca.pem' }],
      });
      checkCommon(t, m, { drainSeconds: 20 });
      const env = envMap(webhookEnv(m));
      t.same(JSON.parse(env.INJECT_EXTRA_ENV ?? ''), { ENABLE_TRACING: 'true', ENABLE_OTEL_METRICS: 'true' });
      t.equal(env.INJECT_SKIP_OWNER_KINDS, 'Job,CronJob');
      t.equal(env.INJECT_USE_WELL_KNOWN_LABELS, 'true');
      t.equal(env.INJECT_OTLP_ENDPOINT, 'http://collector.obs:4318');
      t.equal(env.INJECT_PAYLOAD_IMAGE, 'ghcr.io/otel-injector/payload:9.9.9');
      t.equal(env.INJECT_VOLUME_SIZE_LIMIT, '128Mi');
      t.equal(env.INJECT_INIT_CPU_REQUEST, '20m');
      t.equal(env.INJECT_INIT_CPU_LIMIT, '1');
      t.equal(env.INJECT_INIT_MEMORY_LIMIT, '128Mi');
      t.equal(env.LOG_LEVEL, 'debug');
      t.equal(env.SHUTDOWN_DRAIN_SECONDS, '20');
      t.equal(env.TELEMETRY_OTLP_ENDPOINT, 'http://collector.obs:4318');
      t.equal(env.NODE_EXTRA_CA_CERTS, '/etc/ca.pem');
      t.equal(dig(podTemplate(m), 'spec', 'terminationGracePeriodSeconds'), 30);
      const names = webhookEnv(m).map((e) => e.name);
      t.equal(new Set(names).size, names.length, 'no env name twice');
    });

    void t.test('image digest, one replica (no PDB), custom spread', async (t) => {
      const digest = `sha256:${'a'.repeat(64)}`;
      const m = await render(major, {
        image: { digest },
        payload: { image: { digest } },
        replicaCount: 1,
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'x' } } }],
      });
      checkCommon(t, m);
      t.equal(webhookContainer(m).image, `ghcr.io/otel-injector/otel-injector@${digest}`);
      t.equal(envMap(webhookEnv(m)).INJECT_PAYLOAD_IMAGE, `ghcr.io/otel-injector/payload@${digest}`);
      t.equal(all(m, 'PodDisruptionBudget').length, 0, 'minAvailable 1 with one replica would block drains: no PDB');
      t.equal(dig(podTemplate(m), 'spec', 'topologySpreadConstraints', 0, 'topologyKey'), 'topology.kubernetes.io/zone');
    });

    void t.test('rbac.create=false and tests.enabled=false', async (t) => {
      const m = await render(major, { rbac: { create: false }, tests: { enabled: false } });
      for (const kind of ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'Pod', 'ConfigMap']) {
        t.equal(all(m, kind).length, 0, `no ${kind}`);
      }
    });
  });
}
