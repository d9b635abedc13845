// The AdmissionReview the benchmark sends: a pod as a Deployment's ReplicaSet creates it, as it reaches a
// mutating webhook (defaults applied, service-account volume added), restricted securityContext.
const HASH = '7d9f8b6c5d';

function envOf(index) {
  return [
    { name: 'PORT', value: String(8080 + index) },
    { name: 'NODE_ENV', value: 'production' },
    { name: 'LOG_FORMAT', value: 'json' },
    { name: 'DB_HOST', value: 'postgres.bakery-ia.svc.cluster.local' },
    { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    { name: 'REDIS_URL', valueFrom: { configMapKeyRef: { name: 'orders-config', key: 'redis-url' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    { name: 'FEATURE_FLAGS', value: 'checkout-v2,async-receipts' },
    { name: 'UV_THREADPOOL_SIZE', value: '8' },
  ];
}

function container(name, index) {
  const probe = (path) => ({
    httpGet: { path, port: 8080 + index, scheme: 'HTTP' },
    periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3,
  });
  return {
    name,
    image: `registry.example.com/bakery/${name}:1.4.2`,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: 8080 + index, protocol: 'TCP' }],
    env: envOf(index),
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    livenessProbe: probe('/healthz'),
    readinessProbe: probe('/ready'),
    securityContext: {
      allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true,
      runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

function serviceAccountVolume() {
  return {
    name: 'kube-api-access-x7k2p',
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/** A Deployment pod with `containers` app containers (2 for the load test: api and worker). */
export function benchPod(containers = 2) {
  const names = containers === 2 ? ['api', 'worker'] : Array.from({ length: containers }, (_, i) => `app-${i}`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `orders-api-${HASH}-`,
      namespace: 'bakery-ia',
      labels: { app: 'orders-api', 'app.kubernetes.io/name': 'orders-api', 'app.kubernetes.io/version': '1.4.2', 'pod-template-hash': HASH },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-20T09:12:44Z' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `orders-api-${HASH}`, uid: '5b1e3c1a-0d55-4c59-9a8e-1f2e3d4c5b6a', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      containers: names.map(container),
      volumes: [{ name: 'tmp', emptyDir: {} }, serviceAccountVolume()],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'orders-api',
      serviceAccount: 'orders-api',
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
  };
}

/** The AdmissionReview JSON body for `pod`, as kube-apiserver sends it. */
export function reviewBody(pod, uid = '3f1c2a9e-6b7d-4e58-9a0c-1d2e3f405162') {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bakery-ia',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: 'a6f1d2c3-4b5e-4f60-8a71-92b3c4d5e6f7',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  });
}
