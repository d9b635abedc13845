// The webhook's certificate as a TLS client sees it, checked against a caBundle the way the API server does.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { request } from 'node:https';

/** The certificates of a PEM bundle (text, or base64 of the text as in a caBundle field). */
export function pemCertificates(bundle: string): X509Certificate[] {
  const text = bundle.includes('-----BEGIN') ? bundle : Buffer.from(bundle, 'base64').toString('utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

function subject(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ', ');
}

/** Whether `leaf` (with intermediates) chains up to one of `roots`, for `host`, now. Undefined when it does. */
export function verifyChain(leaf: X509Certificate, intermediates: readonly X509Certificate[], roots: readonly X509Certificate[], host: string, now: Date): string | undefined {
  if (new Date(leaf.validTo) < now) return `the served certificate expired on ${leaf.validTo}`;
  if (new Date(leaf.validFrom) > now) return `the served certificate is not valid before ${leaf.validFrom}`;
  const hostOk = isIP(host) === 0 ? leaf.checkHost(host) !== undefined : leaf.checkIP(host) !== undefined;
  if (!hostOk) return `the served certificate does not name ${host} (its names: ${leaf.subjectAltName ?? subject(leaf)})`;
  let current = leaf;
  for (let depth = 0; depth < 5; depth += 1) {
    const root = roots.find((ca) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (root !== undefined) return undefined;
    const next = intermediates.find((ca) => ca !== current && current.checkIssued(ca) && current.verify(ca.publicKey));
    if (next === undefined) break;
    current = next;
  }
  return `the caBundle (${roots.map(subject).join('; ') || 'empty'}) did not sign the served certificate (issuer ${leaf.issuer.replace(/\n/g, ', ')})`;
}

export interface Served {
  readonly leaf: X509Certificate;
  readonly intermediates: X509Certificate[];
}

function toX509(peer: PeerCertificate): X509Certificate {
  return new X509Certificate(peer.raw);
}

/** The certificate chain a TLS server presents (no verification here: verifyChain does it). */
export function servedCertificate(host: string, port: number, servername: string, timeoutMs: number): Promise<Served> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: isIP(servername) === 0 ? servername : undefined, rejectUnauthorized: false, timeout: timeoutMs });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      socket.destroy();
      const chain: X509Certificate[] = [];
      let node: PeerCertificate | undefined = peer;
      while (node !== undefined && node.raw !== undefined && chain.length < 6) {
        chain.push(toX509(node));
        const issuer: PeerCertificate | undefined = (node as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
        node = issuer === node ? undefined : issuer;
      }
      const [leaf, ...intermediates] = chain;
      if (leaf === undefined) reject(new Error('the server presented no certificate'));
      else resolve({ leaf, intermediates });
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
    });
    socket.once('error', reject);
  });
}

/** GET over HTTPS verified with `ca`; resolves with status and body. */
export function httpsGet(url: string, ca: string | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, rejectUnauthorized: ca !== undefined, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}
