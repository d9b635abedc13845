// The self-managed rotation protocol as a pure decision (planStep) plus the Secret change that
// carries it out (buildChange). Every replica runs the same rules against the same Secret; the
// Secret's resourceVersion makes exactly one writer win each step (see docs/certificates.md).
import type { SecretChange } from '../k8s/types.js';
import { issueCa, issueChain, issueServingCert, caCommonName } from './issue.js';
import { coversHosts, remainingFraction } from './pem.js';
import {
  ANNOTATION_DROP_AFTER,
  ANNOTATION_SWITCH_AFTER,
  KEY_CA_CRT,
  KEY_CA_KEY,
  KEY_TLS_CRT,
  KEY_TLS_KEY,
  bundlePem,
  parsedCert,
  type ParsedCert,
  type SecretState,
} from './secret-state.js';

/** Reissue when less than this fraction of a certificate's validity is left. */
export const RENEW_FRACTION = 1 / 3;
export const CA_VALIDITY_FACTOR = 10;

export type StepKind = 'none' | 'fresh' | 'issue-serving' | 'new-ca' | 'switch' | 'drop';

export interface Step {
  readonly kind: StepKind;
  readonly reason: string;
}

export interface PlanContext {
  readonly now: Date;
  readonly hosts: readonly string[];
  readonly validityDays: number;
  /** How long each overlap phase lasts (new CA published before use; old CA kept after). */
  readonly overlapMs: number;
  /** True when every webhook's caBundle currently holds the signing CA. */
  readonly webhookTrustsSigning: boolean;
}

function expired(cert: ParsedCert, now: Date): boolean {
  return now.getTime() >= Date.parse(cert.x509.validTo) || now.getTime() < Date.parse(cert.x509.validFrom) - 3_600_000;
}

function needsRenewal(cert: ParsedCert, now: Date): boolean {
  return remainingFraction(cert.x509, now) < RENEW_FRACTION;
}

function brokenServing(state: SecretState, now: Date): string | undefined {
  if (state.serving === undefined) return 'no valid serving certificate/key';
  if (state.servingCa === undefined) return 'serving certificate does not chain to a CA of ca.crt';
  if (expired(state.serving, now) || expired(state.servingCa, now)) return 'serving certificate or its CA expired';
  return undefined;
}

function pendingStep(state: SecretState, context: PlanContext): Step | undefined {
  if (state.signing === undefined || state.servingCa?.x509.fingerprint256 === state.signing.x509.fingerprint256) return undefined;
  const due = state.switchAfter === undefined || context.now >= state.switchAfter;
  if (due && context.webhookTrustsSigning) return { kind: 'switch', reason: 'new CA published long enough: serve a certificate it signs' };
  return { kind: 'none', reason: 'rotation phase 1: waiting before serving the new CA' };
}

/** The next step for this Secret at `context.now`; `none` when nothing is due. */
export function planStep(state: SecretState, context: PlanContext): Step {
  const { now } = context;
  const broken = brokenServing(state, now);
  if (broken !== undefined) {
    const canSign = state.signing !== undefined && !expired(state.signing, now) && !needsRenewal(state.signing, now);
    return { kind: canSign ? 'issue-serving' : 'fresh', reason: broken };
  }
  if (state.dropAfter !== undefined && now >= state.dropAfter) return { kind: 'drop', reason: 'all replicas serve the new CA' };
  return pendingStep(state, context) ?? renewalStep(state, context);
}

/** Steps for a healthy Secret with no rotation in progress. */
function renewalStep(state: SecretState, context: PlanContext): Step {
  const { now } = context;
  if (state.signing === undefined) return { kind: 'new-ca', reason: 'CA key missing or not matching' };
  if (needsRenewal(state.signing, now)) return { kind: 'new-ca', reason: 'less than a third of the CA validity left' };
  const serving = state.serving as ParsedCert;
  if (!coversHosts(serving.x509, context.hosts)) return { kind: 'issue-serving', reason: 'serving certificate misses service names' };
  if (needsRenewal(serving, now)) return { kind: 'issue-serving', reason: 'less than a third of the serving validity left' };
  return { kind: 'none', reason: 'up to date' };
}

function liveCas(state: SecretState, now: Date): ParsedCert[] {
  return state.bundle.filter((ca) => !expired(ca, now));
}

function at(now: Date, ms: number): string {
  return new Date(now.getTime() + ms).toISOString();
}

async function freshChange(state: SecretState, context: PlanContext): Promise<SecretChange> {
  const chain = await issueChain(context.hosts, context.validityDays, context.validityDays * CA_VALIDITY_FACTOR, context.now);
  const old = liveCas(state, context.now);
  return {
    data: {
      [KEY_TLS_CRT]: chain.serving.certPem,
      [KEY_TLS_KEY]: chain.serving.keyPem,
      [KEY_CA_KEY]: chain.ca.keyPem,
      [KEY_CA_CRT]: bundlePem([parsedCert(chain.ca), ...old]),
    },
    annotations: {
      [ANNOTATION_SWITCH_AFTER]: null,
      [ANNOTATION_DROP_AFTER]: old.length > 0 ? at(context.now, context.overlapMs) : null,
    },
  };
}

async function servingChange(state: SecretState, context: PlanContext, annotations: SecretChange['annotations']): Promise<SecretChange> {
  const signing = state.signing as NonNullable<SecretState['signing']>;
  const serving = await issueServingCert(
    { certPem: signing.pem, keyPem: signing.keyPem },
    { hosts: context.hosts, validityDays: context.validityDays, now: context.now },
  );
  return {
    data: { [KEY_TLS_CRT]: serving.certPem, [KEY_TLS_KEY]: serving.keyPem, [KEY_CA_CRT]: bundlePem([...liveCas(state, context.now), signing]) },
    annotations,
  };
}

async function newCaChange(state: SecretState, context: PlanContext): Promise<SecretChange> {
  const ca = await issueCa({
    commonName: caCommonName(context.now),
    validityDays: context.validityDays * CA_VALIDITY_FACTOR,
    now: context.now,
  });
  return {
    data: { [KEY_CA_KEY]: ca.keyPem, [KEY_CA_CRT]: bundlePem([...liveCas(state, context.now), parsedCert(ca)]) },
    annotations: { [ANNOTATION_SWITCH_AFTER]: at(context.now, context.overlapMs), [ANNOTATION_DROP_AFTER]: null },
  };
}

/** The Secret change carrying out `step` (issuing what it needs). */
export async function buildChange(step: Step, state: SecretState, context: PlanContext): Promise<SecretChange | undefined> {
  switch (step.kind) {
    case 'none':
      return undefined;
    case 'fresh':
      return freshChange(state, context);
    case 'issue-serving':
      return servingChange(state, context, {});
    case 'switch':
      return servingChange(state, context, {
        [ANNOTATION_SWITCH_AFTER]: null,
        [ANNOTATION_DROP_AFTER]: at(context.now, context.overlapMs),
      });
    case 'new-ca':
      return newCaChange(state, context);
    case 'drop':
      return {
        data: { [KEY_CA_CRT]: bundlePem(state.servingCa === undefined ? state.bundle : [state.servingCa]) },
        annotations: { [ANNOTATION_DROP_AFTER]: null },
      };
  }
}
