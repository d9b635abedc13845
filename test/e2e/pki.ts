// Test PKI for the e2e control plane and webhook: a CA and leaf certificates
// for loopback names. Keys come from node:crypto (fast, native); node-forge
// builds and signs the X.509 certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPair {
  readonly keyPem: string;
  readonly publicKeyPem: string;
}

export interface CertAuthority extends KeyPair {
  readonly certPem: string;
}

export interface LeafCert extends KeyPair {
  readonly certPem: string;
  readonly caPem: string;
}

export function rsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, publicKeyPem: publicKey };
}

function serial(): string {
  // positive, 16 bytes
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + days * 86_400_000);
}

export function createCA(commonName: string): CertAuthority {
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serial();
  validity(cert, 2);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.keyPem), forge.md.sha256.create());
  return { ...keys, certPem: forge.pki.certificateToPem(cert) };
}

/** A serving certificate for the given DNS names and IP addresses, signed by `ca`. */
export function issueServingCert(ca: CertAuthority, dnsNames: string[], ips: string[]): LeafCert {
  const keys = rsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serial();
  validity(cert, 1);
  cert.setSubject([{ name: 'commonName', value: dnsNames[0] ?? ips[0] ?? 'e2e' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...dnsNames.map((value) => ({ type: 2, value })),
        ...ips.map((ip) => ({ type: 7, ip })),
      ],
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { ...keys, certPem: forge.pki.certificateToPem(cert), caPem: ca.certPem };
}

/** CA + serving certificate for 127.0.0.1 / localhost. */
export function loopbackServingCert(commonName: string): LeafCert {
  return issueServingCert(createCA(commonName), ['localhost'], ['127.0.0.1']);
}
