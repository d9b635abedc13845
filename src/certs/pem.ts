// Parsing and checks on PEM material with node:crypto's X509Certificate.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM CERTIFICATE blocks of a bundle, normalized to end with a newline. */
export function splitPem(bundle: string): string[] {
  return (bundle.match(PEM_CERT) ?? []).map((block) => `${block}\n`);
}

/** Parses every certificate of a bundle; unparsable blocks are dropped. */
export function parseBundle(bundle: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of splitPem(bundle)) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // not a certificate: ignored, the caller decides whether an empty result is an error
    }
  }
  return out;
}

/**
 * Checks that `certPem` (a chain, leaf first) and `keyPem` belong together and that Node's TLS
 * accepts them; returns the parsed leaf. Throws an Error whose message never contains key text.
 */
export function validatePair(certPem: string, keyPem: string): X509Certificate {
  const [leaf] = parseBundle(certPem);
  if (leaf === undefined) throw new Error('no PEM certificate found');
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new Error('private key is not a valid PEM key');
  }
  if (!leaf.checkPrivateKey(key)) throw new Error('private key does not match the certificate');
  try {
    createSecureContext({ cert: certPem, key: keyPem, minVersion: 'TLSv1.2' });
  } catch (error) {
    throw new Error(`TLS rejects the pair: ${(error as { code?: string }).code ?? 'unknown error'}`);
  }
  return leaf;
}

/** True when the certificate's SANs cover every host (DNS names and IP addresses). */
export function coversHosts(cert: X509Certificate, hosts: readonly string[]): boolean {
  return hosts.every((host) =>
    isIP(host) === 0 ? cert.checkHost(host, { subject: 'never', wildcards: false }) === host : cert.checkIP(host) !== undefined,
  );
}

/** True when `leaf` is issued and signed by one of `cas` (a PEM bundle or parsed list). */
export function chainsTo(leaf: X509Certificate, cas: string | readonly X509Certificate[]): boolean {
  const list = typeof cas === 'string' ? parseBundle(cas) : cas;
  return list.some((ca) => ca.ca && leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
}

/** Fraction (0..1) of the certificate's validity still ahead of `now`; 0 once expired. */
export function remainingFraction(cert: X509Certificate, now: Date): number {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(to > from)) return 0;
  return Math.max(0, Math.min(1, (to - now.getTime()) / (to - from)));
}

/** A short, key-free description of a certificate for logs. */
export function describe(cert: X509Certificate): { serial: string; subject: string; notAfter: string; sha256: string } {
  return {
    serial: cert.serialNumber,
    subject: cert.subject.replace(/\n/g, ', '),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256: cert.fingerprint256,
  };
}
