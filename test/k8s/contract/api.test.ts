// The one API adapter on the real client (@kubernetes/client-node) against a loopback HTTP server that
// answers as the API server does: every failure is a KubeApiError with the status and one line of detail,
// 404 is undefined for kubeFind; the CLI's messages and exit codes are made from the same error.
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { kubeApiError, kubeCall, kubeFind, statusOf } from '../../../src/k8s/contract/api.js';
import { KubeApiError } from '../../../src/k8s/errors.js';
import { apiError, type Kube } from '../../../src/cli/kube.js';
import { EXIT } from '../../../src/cli/errors.js';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const status = (code: number, message: string): Answer => (_req, res) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code }));
};

const answers = new Map<string, Answer>([
  ['/api/v1/namespaces/shop/secrets/missing', status(404, 'secrets "missing" not found')],
  ['/api/v1/namespaces/shop/secrets/forbidden', status(403, 'secrets "forbidden" is forbidden: User "x" cannot get resource "secrets"')],
  ['/api/v1/namespaces/shop/secrets/taken', status(409, 'the object has been modified')],
  ['/api/v1/namespaces/shop/secrets/broken', (_req, res) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('  upstream exploded\n'); }],
  ['/api/v1/namespaces/shop/secrets/fine', (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'fine', namespace: 'shop' } })); }],
]);

const server = createServer((req, res) => (answers.get(req.url?.split('?')[0] ?? '') ?? status(404, 'no route'))(req, res));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));

function core(url: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc.makeApiClient(CoreV1Api);
}

const api = core(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
const read = (name: string) => () => api.readNamespacedSecret({ name, namespace: 'shop' });

async function failure(run: () => Promise<unknown>): Promise<KubeApiError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof KubeApiError) return error;
    throw error;
  }
  throw new Error('no failure');
}

t.test('an answer: the object, or undefined for 404 with kubeFind', async (t) => {
  t.equal((await kubeCall('get secret shop/fine', read('fine'))).metadata?.name, 'fine');
  t.equal(await kubeFind('get secret shop/missing', read('missing')), undefined);
  const notFound = await failure(() => kubeCall('get secret shop/missing', read('missing')));
  t.same([notFound.status, notFound.code, notFound.message], [404, 'KUBE_API', 'get secret shop/missing: HTTP 404 secrets "missing" not found'], 'kubeCall throws on 404');
});

t.test('an error answer: its status and its Status message, never the body', async (t) => {
  const forbidden = await failure(() => kubeFind('get secret shop/forbidden', read('forbidden')));
  t.same([forbidden.status, forbidden.detail], [403, 'secrets "forbidden" is forbidden: User "x" cannot get resource "secrets"']);
  t.equal(statusOf(forbidden), 403);
  const conflict = await failure(() => kubeCall('patch secret shop/taken', read('taken')));
  t.same([conflict.status, conflict.code, conflict.isConflict], [409, 'KUBE_CONFLICT', true]);
  const broken = await failure(() => kubeCall('get secret shop/broken', read('broken')));
  t.same([broken.status, broken.detail], [500, 'upstream exploded'], 'a text answer: its text, trimmed');
});

t.test('no answer: status 0 and the network cause', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refused = await failure(() => kubeCall('get secret shop/fine', () => core(`http://127.0.0.1:${port}`).readNamespacedSecret({ name: 'fine', namespace: 'shop' })));
  t.equal(refused.status, 0);
  t.match(refused.detail, /ECONNREFUSED/, 'the cause is named');
  t.equal(kubeApiError('again', refused), refused, 'a KubeApiError passes through unchanged');
});

t.test('the CLI makes its message and exit code from the same error', async (t) => {
  const kube = { server: 'https://api.example:6443', context: 'prod' } as Kube;
  const forbidden = await failure(() => kubeCall('get secret shop/forbidden', read('forbidden')));
  const mapped = apiError(forbidden, { verb: 'get', resource: 'secrets', namespace: 'shop' }, kube);
  t.same([mapped.code, mapped.exitCode], ['CLI_FORBIDDEN', EXIT.forbidden]);
  t.equal(mapped.message, 'forbidden: missing RBAC permission "get secrets" in namespace "shop" (context "prod"): secrets "forbidden" is forbidden: User "x" cannot get resource "secrets"');
  const raw = await read('broken')().catch((error: unknown) => error);
  const unanswered = apiError(raw, { verb: 'get', resource: 'secrets', namespace: 'shop' }, kube);
  t.same([unanswered.code, unanswered.message], ['CLI_API', 'get secrets in namespace "shop" failed: HTTP 500: upstream exploded'], 'a raw client error too');
});
