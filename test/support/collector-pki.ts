// A private PKI for the collector-TLS tests (issue 21): CAs and a serving certificate for 127.0.0.1 from the
// webhook's own issuer (src/certs/issue.ts), client certificates (extKeyUsage clientAuth) with node-forge, and
// a directory laid out like a Kubernetes Secret volume (files are links through `..data` to a timestamped
// directory; an update swaps `..data` in one rename, as the kubelet's atomic writer does).
import { spawn, type SpawnOptions } from 'node:child_process';
import { generateKeyPair, createSign, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { issueCa, issueServingCert, type IssuedPair } from '../../src/certs/issue.js';

export type { IssuedPair } from '../../src/certs/issue.js';

const generateRsa = promisify(generateKeyPair);

export async function ca(name: string): Promise<IssuedPair> {
  return issueCa({ commonName: name, validityDays: 1, now: new Date() });
}

export async function serverCert(authority: IssuedPair): Promise<IssuedPair> {
  return issueServingCert(authority, { hosts: ['localhost', '127.0.0.1'], validityDays: 1, now: new Date() });
}

/** A client certificate (CN `commonName`, extKeyUsage clientAuth) signed by `authority`. */
export async function clientCert(authority: IssuedPair, commonName: string): Promise<IssuedPair> {
  const keys = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const caCert = forge.pki.certificateFromPem(authority.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  cert.serialNumber = `4${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 300_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  const oid = forge.pki.oids.sha256WithRSAEncryption as string;
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  const signature = createSign('sha256').update(der).sign(authority.keyPem);
  Object.assign(cert, { tbsCertificate: tbs, signature: signature.toString('binary') });
  return { certPem: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n'), keyPem: keys.privateKey };
}

/** A Secret-volume-like directory: `write` puts a new set of files in place at once (keys -> content). */
export class SecretDir {
  private generation = 0;
  constructor(readonly path: string) {}

  async write(files: Record<string, string>): Promise<void> {
    this.generation += 1;
    const version = `..${Date.now()}_${this.generation}`;
    await mkdir(join(this.path, version), { recursive: true });
    for (const [key, content] of Object.entries(files)) await writeFile(join(this.path, version, key), content);
    await symlink(version, join(this.path, '..data_tmp'));
    await rename(join(this.path, '..data_tmp'), join(this.path, '..data'));
    if (this.generation === 1) {
      for (const key of Object.keys(files)) await symlink(join('..data', key), join(this.path, key));
    }
  }
}

/** A new Secret-volume-like directory holding `files`, removed when `t` ends. */
export async function secretDir(t: Test, files: Record<string, string>): Promise<SecretDir> {
  const dir = await mkdtemp(join(tmpdir(), 'otel-collector-secret-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const secret = new SecretDir(dir);
  await secret.write(files);
  return secret;
}

/** The private PKI both runtimes' TLS tests use: two collector CAs (for rotation), a client CA, an unrelated CA. */
export async function collectorPki(): Promise<{ a: IssuedPair; b: IssuedPair; clients: IssuedPair; other: IssuedPair; serverA: IssuedPair; serverB: IssuedPair; client: IssuedPair }> {
  const [a, b, clients, other] = await Promise.all([ca('collector ca a'), ca('collector ca b'), ca('collector clients'), ca('not the collector ca')]);
  return { a, b, clients, other, serverA: await serverCert(a), serverB: await serverCert(b), client: await clientCert(clients, 'orders-api') };
}

export interface Run { code: number | null; stdout: string; stderr: string }

/** Runs an app to its end (killed after 60 s) and keeps what it printed. */
export function runToEnd(cmd: string, args: readonly string[], options: SpawnOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export const injectorLines = (run: Run): string[] => run.stderr.split('\n').filter((line) => line.includes('otel-injector'));
/** The names of the `ticks` apps' spans that arrived. */
export const tickNames = (spans: ReadonlyArray<{ name: string }>): Set<string> => new Set(spans.map((span) => span.name).filter((name) => name.startsWith('tick-')));
