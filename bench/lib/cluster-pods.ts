// Real-shaped pods for the controller benchmark, written to a real kube-apiserver fast: bounded parallel
// raw HTTPS requests on keep-alive connections (no client-side typing of the objects), a create and then
// a status write per pod (a create resets the status; the status writer plays the kubelet's part, so
// status, container statuses, conditions and a second managedFields entry are stored as on a node).
import { Agent, request } from 'node:https';
import { randomUUID } from 'node:crypto';

export interface Api {
  readonly server: string;
  readonly token: string;
  readonly caPem: string;
}

export const PRELOAD = 'registry.invalid/bench/otel-preload:2';
const OLD_PRELOAD = 'registry.invalid/bench/otel-preload:1';

/** Deployment `d` of namespace: which state its pods are in (9 of 10 injected, 1 in 20 not-seen, 1 in 20 outdated). */
export function stateOf(d: number): 'injected' | 'not-seen' | 'outdated' {
  return d % 20 === 0 ? 'not-seen' : d % 20 === 10 ? 'outdated' : 'injected';
}

function env(prefix: string, deploy: string): object[] {
  return Array.from({ length: 10 }, (_, k) => {
    if (k % 3 === 0) return { name: `${prefix}_SETTING_${k}`, value: `value-${k}-for-${deploy}-with-some-length` };
    if (k % 3 === 1) return { name: `${prefix}_POD_${k}`, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } };
    return { name: `${prefix}_SECRET_${k}`, valueFrom: { secretKeyRef: { name: `${deploy}-secrets`, key: `key-${k}` } } };
  });
}

function container(name: string, deploy: string, port: number): object {
  return {
    name,
    image: `registry.invalid/bench/${deploy}-${name}:1.${port % 7}.3`,
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: env(name.toUpperCase(), deploy),
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
    readinessProbe: { httpGet: { path: '/readyz', port, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
    volumeMounts: [{ name: 'config', mountPath: '/etc/app' }, { name: 'cache', mountPath: '/var/cache/app' }, { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
    securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

/** A Deployment's pod as stored: three containers with ten env entries each, probes, three volumes. */
export function podBody(deploy: string, hash: string, rsUid: string, index: number, state: ReturnType<typeof stateOf>): object {
  const annotations: Record<string, string> = { 'checksum/config': 'a3f1c0de9b7e4f2a8d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e' };
  if (state !== 'not-seen') {
    annotations['otel-injector.io/status'] = 'injected: node,python';
    annotations['otel-injector.io/payload-image'] = state === 'injected' ? PRELOAD : OLD_PRELOAD;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${deploy}-${hash}-${index.toString(36).padStart(5, '0')}`,
      labels: { app: deploy, 'pod-template-hash': hash, 'app.kubernetes.io/name': deploy, 'app.kubernetes.io/version': '1.4.2', team: 'payments' },
      annotations,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${deploy}-${hash}`, uid: rsUid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [container('app', deploy, 8080), container('proxy', deploy, 15001), container('logs', deploy, 2020)],
      volumes: [
        { name: 'config', configMap: { name: `${deploy}-config` } },
        { name: 'cache', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }] } },
      ],
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    },
  };
}

/** What a kubelet writes for a running pod. */
export function runningStatus(names: readonly string[] = ['app', 'proxy', 'logs']): object {
  const now = new Date().toISOString();
  const cond = (type: string): object => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
  const ip = `10.244.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  return {
    status: {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
      hostIP: '10.0.0.17', hostIPs: [{ ip: '10.0.0.17' }], podIP: ip, podIPs: [{ ip }], startTime: now, qosClass: 'Burstable',
      containerStatuses: names.map((name) => ({
        name, ready: true, restartCount: 0, started: true,
        image: `registry.invalid/bench/${name}:1.2.3`, imageID: `registry.invalid/bench/${name}@sha256:${'0123456789abcdef'.repeat(4)}`,
        containerID: `containerd://${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`,
        state: { running: { startedAt: now } }, lastState: {},
        volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true, recursiveReadOnly: 'Disabled' }],
      })),
    },
  };
}

/** Raw JSON requests to the API server, at most `parallel` at once. */
export class RawApi {
  private readonly agent: Agent;
  constructor(private readonly api: Api, parallel: number) {
    this.agent = new Agent({ ca: api.caPem, keepAlive: true, maxSockets: parallel });
  }

  send(method: string, path: string, body?: object, contentType = 'application/json'): Promise<number> {
    return this.call(method, path, body, contentType).then((r) => r.status);
  }

  /** The status, and the body's message when it is not a 2xx. */
  call(method: string, path: string, body?: object, contentType = 'application/json'): Promise<{ status: number; message: string }> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(`${this.api.server}${path}`, {
        method, agent: this.agent,
        headers: { Authorization: `Bearer ${this.api.token}`, Accept: 'application/json', ...(data === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': data.length }) },
      }, (res) => {
        const ok = (res.statusCode ?? 0) < 300;
        let text = '';
        res.on('data', (c: Buffer) => { if (!ok) text += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, message: ok ? '' : text.slice(0, 500) }));
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `jobs` with at most `parallel` in flight; throws on the first failure. */
export async function bounded(count: number, parallel: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
}

/** Creates one pod and writes its running status; the HTTP statuses must be 201 and 200. */
export async function createRunningPod(api: RawApi, namespace: string, body: { metadata: { name: string } }): Promise<void> {
  const created = await api.call('POST', `/api/v1/namespaces/${namespace}/pods`, body);
  if (created.status !== 201) throw new Error(`create pod ${namespace}/${body.metadata.name}: HTTP ${created.status} ${created.message}`);
  const status = await api.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${body.metadata.name}/status`, runningStatus(), 'application/merge-patch+json');
  if (status.status !== 200) throw new Error(`status of pod ${namespace}/${body.metadata.name}: HTTP ${status.status} ${status.message}`);
}

export { randomUUID };
