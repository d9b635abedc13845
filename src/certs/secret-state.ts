// The self-managed Secret's layout and its parsed state.
//   type kubernetes.io/tls
//   data.tls.crt / data.tls.key   serving certificate and key every replica serves
//   data.ca.crt                   trust bundle: every CA the webhook caBundle must hold (1, or 2 during a rotation)
//   data.ca.key                   key of the signing CA (the newest CA in ca.crt)
//   annotations otel-injector.io/serve-new-ca-after   rotation phase 1: new CA published, switch serving cert after this
//               otel-injector.io/drop-old-cas-after   rotation phase 2: new serving cert written, drop old CAs after this
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { StoredSecret } from '../k8s/types.js';
import type { IssuedPair } from './issue.js';
import { chainsTo, parseBundle, splitPem, validatePair } from './pem.js';
import type { TlsMaterial } from './types.js';

export const KEY_TLS_CRT = 'tls.crt';
export const KEY_TLS_KEY = 'tls.key';
export const KEY_CA_CRT = 'ca.crt';
export const KEY_CA_KEY = 'ca.key';
export const ANNOTATION_SWITCH_AFTER = 'otel-injector.io/serve-new-ca-after';
export const ANNOTATION_DROP_AFTER = 'otel-injector.io/drop-old-cas-after';
export const SECRET_TYPE = 'kubernetes.io/tls';
export const SECRET_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'otel-injector' };

export interface ParsedCert {
  readonly pem: string;
  readonly x509: X509Certificate;
}

export interface SecretState {
  readonly resourceVersion: string;
  /** CAs of ca.crt, in order. */
  readonly bundle: readonly ParsedCert[];
  /** The CA whose key is ca.key (undefined when the key is missing, broken or matches no CA). */
  readonly signing: (ParsedCert & { readonly keyPem: string }) | undefined;
  /** A valid tls.crt/tls.key pair (undefined when missing or broken). */
  readonly serving: (ParsedCert & { readonly material: TlsMaterial }) | undefined;
  /** The CA of the bundle that issued the serving certificate. */
  readonly servingCa: ParsedCert | undefined;
  readonly switchAfter: Date | undefined;
  readonly dropAfter: Date | undefined;
}

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function parseSigning(bundle: readonly ParsedCert[], keyPem: string | undefined): SecretState['signing'] {
  if (keyPem === undefined) return undefined;
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return undefined;
  }
  const ca = bundle.find((cert) => cert.x509.ca && cert.x509.checkPrivateKey(key));
  return ca === undefined ? undefined : { ...ca, keyPem };
}

function parseServing(data: Readonly<Record<string, string>>): SecretState['serving'] {
  const cert = data[KEY_TLS_CRT];
  const key = data[KEY_TLS_KEY];
  if (cert === undefined || key === undefined) return undefined;
  try {
    const x509 = validatePair(cert, key);
    return { pem: cert, x509, material: { cert, key } };
  } catch {
    return undefined;
  }
}

export function parseSecret(secret: StoredSecret): SecretState {
  const bundle = splitPem(secret.data[KEY_CA_CRT] ?? '').flatMap((pem) => {
    const [x509] = parseBundle(pem);
    return x509 === undefined || !x509.ca ? [] : [{ pem, x509 }];
  });
  const serving = parseServing(secret.data);
  const servingCa = serving === undefined ? undefined : bundle.find((ca) => chainsTo(serving.x509, [ca.x509]));
  return {
    resourceVersion: secret.resourceVersion,
    bundle,
    signing: parseSigning(bundle, secret.data[KEY_CA_KEY]),
    serving,
    servingCa,
    switchAfter: parseDate(secret.annotations[ANNOTATION_SWITCH_AFTER]),
    dropAfter: parseDate(secret.annotations[ANNOTATION_DROP_AFTER]),
  };
}

/** The PEM bundle for a list of CAs, duplicates removed. */
export function bundlePem(cas: readonly ParsedCert[]): string {
  const seen = new Set<string>();
  return cas
    .filter((ca) => !seen.has(ca.x509.fingerprint256) && seen.add(ca.x509.fingerprint256))
    .map((ca) => ca.pem)
    .join('');
}

/** Normalized form of a PEM bundle, for comparing caBundles. */
export function normalizeBundle(pem: string | undefined): string {
  return splitPem(pem ?? '').join('');
}

export function parsedCert(pair: IssuedPair): ParsedCert {
  return { pem: splitPem(pair.certPem)[0] ?? pair.certPem, x509: new X509Certificate(pair.certPem) };
}
