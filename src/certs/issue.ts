// Issues X.509 certificates: a CA and serving certificates signed by it.
// RSA keys come from node:crypto's asynchronous generator (native, off the event loop, so a
// rotation in a live server does not stall admission calls); node-forge builds and signs the
// certificates (it can only sign with RSA).
import { createSign, generateKeyPair, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateRsa = promisify(generateKeyPair);

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface IssuedPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CaOptions {
  readonly commonName: string;
  readonly validityDays: number;
  readonly now: Date;
}

export interface ServingOptions {
  /** DNS names and IP addresses; the first DNS name (or IP) becomes the subject CN. */
  readonly hosts: readonly string[];
  readonly validityDays: number;
  readonly now: Date;
}

/** notBefore is backdated this much to tolerate clock skew between nodes. */
export const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const ORGANIZATION = 'otel-injector';

/** The names a serving certificate for a Service must cover. */
export function serviceHosts(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** A random positive 128-bit serial whose DER encoding is minimal (top bit clear, second set). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

interface KeyPems {
  readonly privateKey: string;
  readonly publicKey: string;
}

async function rsaKeys(): Promise<KeyPems> {
  return generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function newCertificate(publicKeyPem: string, now: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = notAfter;
  return cert;
}

/** Public in node-forge's code, missing from @types/node-forge. */
interface ForgeInternals {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

/**
 * Signs with node:crypto (native, ~100x faster than node-forge's JavaScript RSA): node-forge
 * encodes the TBSCertificate, Node signs its DER, node-forge assembles the certificate.
 */
function sign(cert: forge.pki.Certificate, keyPem: string): string {
  const oid = forge.pki.oids.sha256WithRSAEncryption as string;
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (forge.pki as unknown as ForgeInternals).getTBSCertificate(cert);
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  const signature = createSign('sha256').update(der).sign(keyPem);
  Object.assign(cert, { tbsCertificate: tbs, signature: signature.toString('binary') });
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/** A self-signed CA: basicConstraints CA (critical), keyUsage keyCertSign + cRLSign. */
export async function issueCa(options: CaOptions, pregenerated?: KeyPems): Promise<IssuedPair> {
  const keys = pregenerated ?? (await rsaKeys());
  const cert = newCertificate(keys.publicKey, options.now, new Date(options.now.getTime() + options.validityDays * DAY_MS));
  const name = [
    { name: 'commonName', value: options.commonName },
    { name: 'organizationName', value: ORGANIZATION },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return { certPem: sign(cert, keys.privateKey), keyPem: keys.privateKey };
}

function altNames(hosts: readonly string[]): { type: number; value?: string; ip?: string }[] {
  return hosts.map((host) => (isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host }));
}

/**
 * A serving certificate for `hosts`, signed by `ca`: SANs (DNS and IP), extKeyUsage serverAuth,
 * never valid past the CA's own notAfter.
 */
export async function issueServingCert(ca: IssuedPair, options: ServingOptions, pregenerated?: KeyPems): Promise<IssuedPair> {
  if (options.hosts.length === 0) throw new Error('a serving certificate needs at least one host');
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const keys = pregenerated ?? (await rsaKeys());
  const wanted = options.now.getTime() + options.validityDays * DAY_MS;
  const cert = newCertificate(keys.publicKey, options.now, new Date(Math.min(wanted, caCert.validity.notAfter.getTime())));
  const dnsName = options.hosts.find((host) => isIP(host) === 0);
  cert.setSubject([
    { name: 'commonName', value: dnsName ?? options.hosts[0] },
    { name: 'organizationName', value: ORGANIZATION },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNames(options.hosts) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  return { certPem: sign(cert, ca.keyPem), keyPem: keys.privateKey };
}

/**
 * CA subject CN, unique per issuance second so the old and new CA of a rotation differ by name.
 * node-forge encodes names as PrintableString: only [A-Za-z0-9 '()+,-./:=?] (Go's x509, hence
 * kube-apiserver, rejects anything else, e.g. '@', while OpenSSL accepts it).
 */
export function caCommonName(now: Date): string {
  return `otel-injector-ca-${Math.floor(now.getTime() / 1000)}`;
}

export interface IssuedChain {
  readonly ca: IssuedPair;
  readonly serving: IssuedPair;
}

/** A fresh CA (valid `caValidityDays`) and a serving certificate for `hosts` signed by it. */
export async function issueChain(
  hosts: readonly string[],
  validityDays: number,
  caValidityDays: number,
  now: Date,
): Promise<IssuedChain> {
  // both key pairs are generated concurrently on libuv's thread pool
  const [caKeys, servingKeys] = await Promise.all([rsaKeys(), rsaKeys()]);
  const ca = await issueCa({ commonName: caCommonName(now), validityDays: caValidityDays, now }, caKeys);
  const serving = await issueServingCert(ca, { hosts, validityDays, now }, servingKeys);
  return { ca, serving };
}
