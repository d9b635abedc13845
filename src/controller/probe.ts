// Is the webhook ready, as the API server would find it? A GET of its /readyz through its Service,
// verified with the caBundle of its MutatingWebhookConfiguration (what the API server trusts): a webhook
// that answers but whose certificate the API server would refuse (a caBundle out of step after a
// rotation) is not ready, since restarted pods would come back uninstrumented. When the configuration
// cannot be read, the GET is not verified (like a kubelet probe) and the log says so once.
import { request as httpRequest } from 'node:http';
import { request, type RequestOptions } from 'node:https';

export type WebhookProbe = () => Promise<{ ready: boolean; detail: string }>;

/** The caBundle (PEM) the API server uses for the webhook, or undefined when it cannot be read. */
export type CaBundleSource = () => Promise<{ pem: string | undefined; detail: string }>;

/** Node's codes for a certificate the given CA does not verify (or that names another host). */
const TLS_TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function get(url: URL, options: RequestOptions, timeoutMs: number): Promise<{ ready: boolean; detail: string }> {
  const send = url.protocol === 'https:' ? request : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, { ...options, method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve({ ready: res.statusCode === 200, detail: `${url.href} answered ${res.statusCode ?? 0}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const tls = err.code !== undefined && TLS_TRUST_ERRORS.has(err.code);
      resolve({ ready: false, detail: tls ? `${url.href}: the caBundle of the webhook configuration does not verify its certificate (${err.code})` : `${url.href}: ${err.message}` });
    });
    req.end();
  });
}

export function httpProbe(url: string | undefined, caBundle?: CaBundleSource, timeoutMs = 3000): WebhookProbe {
  if (url === undefined) return async () => ({ ready: true, detail: 'no probe configured' });
  const target = new URL(url);
  return async () => {
    const ca = target.protocol === 'https:' && caBundle !== undefined ? await caBundle() : { pem: undefined, detail: 'no caBundle source' };
    if (ca.pem === undefined) {
      const r = await get(target, { rejectUnauthorized: false }, timeoutMs);
      return { ...r, detail: `${r.detail} (TLS not verified: ${ca.detail})` };
    }
    return get(target, { ca: ca.pem, rejectUnauthorized: true }, timeoutMs);
  };
}
