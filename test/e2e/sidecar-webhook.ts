// A tiny second mutating webhook for case 6: it adds one container to every
// pod it sees (unless already there). Runs in the test process over HTTPS.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loopbackServingCert } from './pki.js';

export const SIDECAR_NAME = 'e2e-sidecar';
export const SIDECAR_IMAGE = 'registry.invalid/e2e/sidecar:1';

interface Review {
  request?: { uid?: string; object?: { spec?: { containers?: Array<{ name?: string }> } } };
}

export interface SidecarWebhook {
  readonly url: string;
  readonly caPem: string;
  /** how many AdmissionReviews it answered */
  calls(): number;
  close(): Promise<void>;
}

function answer(body: string): string {
  const review = JSON.parse(body) as Review;
  const containers = review.request?.object?.spec?.containers ?? [];
  const present = containers.some((c) => c.name === SIDECAR_NAME);
  const patch = present
    ? []
    : [
        {
          op: 'add',
          path: '/spec/containers/-',
          value: {
            name: SIDECAR_NAME,
            image: SIDECAR_IMAGE,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
              seccompProfile: { type: 'RuntimeDefault' },
            },
          },
        },
      ];
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: review.request?.uid ?? '',
      allowed: true,
      ...(patch.length > 0
        ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
        : {}),
    },
  });
}

export async function startSidecarWebhook(): Promise<SidecarWebhook> {
  const cert = loopbackServingCert('e2e-sidecar-ca');
  let calls = 0;
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      try {
        const out = answer(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end(out);
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/add-sidecar`,
    caPem: cert.caPem,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
