// Is the webhook ready? A GET of its /readyz through its Service, TLS not verified (a health probe, like
// the kubelet's HTTPS probes): restarted pods would come back uninstrumented while it is not.
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';

export type WebhookProbe = () => Promise<{ ready: boolean; detail: string }>;

export function httpProbe(url: string | undefined, timeoutMs = 3000): WebhookProbe {
  if (url === undefined) return async () => ({ ready: true, detail: 'no probe configured' });
  const target = new URL(url);
  const send = target.protocol === 'https:' ? request : httpRequest;
  return () =>
    new Promise((resolve) => {
      const req = send(target, { method: 'GET', rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
        res.resume();
        resolve({ ready: res.statusCode === 200, detail: `${url} answered ${res.statusCode ?? 0}` });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', (err) => resolve({ ready: false, detail: `${url}: ${err.message}` }));
      req.end();
    });
}
