// Builds AdmissionReviews, runs them through the real review path and applies the returned JSON Patch
// the way kube-apiserver does, so tests judge the admitted pod, not the patch text.
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { reviewAdmission, type ReviewResult } from '../../src/admission/review.js';
import type { AdmissionRequest, AdmissionReview } from '../../src/admission/types.js';
import { parseConfig, type Config, type Env } from '../../src/config/index.js';
import type { DeliverySupport } from '../../src/inject/types.js';

export type Obj = Record<string, any>;

export function testConfig(env: Env = {}): Config {
  return parseConfig(env, '0.1.0');
}

let counter = 0;

/** An AdmissionReview for a Pod CREATE as kube-apiserver sends it; `overrides` replace request fields. */
export function reviewOf(pod: unknown, overrides: Partial<AdmissionRequest> = {}): AdmissionReview {
  counter += 1;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bakery-ia',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: '6c3e1f0a-0000-4000-8000-000000000001',
        groups: ['system:serviceaccounts', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...overrides,
    },
  };
}

/** Decodes a response's patch; [] when there is none. */
export function patchOf(review: AdmissionReview): Operation[] {
  const response = review.response;
  if (response?.patch === undefined) return [];
  if (response.patchType !== 'JSONPatch') throw new Error('patch without patchType JSONPatch');
  return JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as Operation[];
}

/** Applies a patch to a deep copy, validating each op as the API server would (a bad path throws). */
export function applyPatch<T>(original: T, ops: Operation[]): T {
  return fastJsonPatch.applyPatch(structuredClone(original), ops, true, false).newDocument;
}

export interface Admitted {
  readonly pod: Obj;
  readonly ops: Operation[];
  readonly result: ReviewResult;
}

/** Runs one pod through the review path and returns the pod as admitted. */
export function admit(pod: unknown, config: Config = testConfig(), overrides: Partial<AdmissionRequest> = {}, delivery?: DeliverySupport): Admitted {
  const review = reviewOf(structuredClone(pod), overrides);
  const request = review.request as AdmissionRequest;
  const result = reviewAdmission(request, config.inject, delivery);
  const ops = patchOf(result.review);
  return { pod: applyPatch(pod, ops) as Obj, ops, result };
}

/** A pod as a Deployment's ReplicaSet creates it: generateName, no name, ReplicaSet owner, pod-template-hash. */
export function deploymentPod(deployment = 'orders-api', hash = '7d9f8b6c5d'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${deployment}-${hash}-`,
      namespace: 'bakery-ia',
      labels: { app: deployment, 'pod-template-hash': hash },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${deployment}-${hash}`, uid: '5b1e3c1a-0d55-4c59-9a8e-1f2e3d4c5b6a', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      containers: [
        {
          name: 'api',
          image: 'registry.example.com/bakery/orders-api:1.4.2',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'PORT', value: '8080' },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          volumeMounts: [{ name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
        },
      ],
      volumes: [{ name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
      restartPolicy: 'Always',
      serviceAccountName: 'default',
    },
  };
}

/** Makes a pod compliant with Pod Security restricted. */
export function restricted(pod: Obj): Obj {
  pod.spec.securityContext = { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } };
  for (const container of pod.spec.containers as Obj[]) {
    container.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  }
  return pod;
}

export function envOf(container: Obj): Record<string, Obj> {
  return Object.fromEntries(((container.env ?? []) as Obj[]).map((entry) => [entry.name, entry]));
}
