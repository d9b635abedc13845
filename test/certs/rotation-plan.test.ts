// src/certs/rotation.ts planStep/buildChange on hand-made Secrets: which step is due when.
import t from 'tap';
import { issueCa, issueChain, issueServingCert, serviceHosts } from '../../src/certs/issue.js';
import { parseBundle } from '../../src/certs/pem.js';
import { buildChange, planStep, type PlanContext } from '../../src/certs/rotation.js';
import { parseSecret, type SecretState } from '../../src/certs/secret-state.js';

const DAY = 86_400_000;
const hosts = serviceHosts('otel-injector', 'otel-injector');
const issuedAt = new Date('2026-01-01T00:00:00Z');

function context(now: Date, webhookTrustsSigning = true): PlanContext {
  return { now, hosts, validityDays: 10, overlapMs: 60_000, webhookTrustsSigning };
}

function state(data: Record<string, string>, annotations: Record<string, string> = {}): SecretState {
  return parseSecret({ resourceVersion: '1', data, annotations });
}

const chain = await issueChain(hosts, 10, 100, issuedAt);
const healthy = {
  'tls.crt': chain.serving.certPem,
  'tls.key': chain.serving.keyPem,
  'ca.crt': chain.ca.certPem,
  'ca.key': chain.ca.keyPem,
};

t.test('a healthy Secret: nothing to do until a third of the serving validity is left', async (t) => {
  t.equal(planStep(state(healthy), context(new Date(issuedAt.getTime() + 6 * DAY))).kind, 'none');
  t.equal(planStep(state(healthy), context(new Date(issuedAt.getTime() + 7 * DAY))).kind, 'issue-serving');
});

t.test('a CA with less than a third left starts phase 1; phase 2 waits for the time and the caBundle', async (t) => {
  const late = new Date(issuedAt.getTime() + 67 * DAY);
  // a serving certificate renewed the day before from the same, now ageing, CA
  const renewed = await issueServingCert(chain.ca, { hosts, validityDays: 10, now: new Date(late.getTime() - DAY) });
  const fresh = { ...healthy, 'tls.crt': renewed.certPem, 'tls.key': renewed.keyPem };
  const current = state(fresh);
  const step = planStep(current, context(late));
  t.equal(step.kind, 'new-ca');
  const change = await buildChange(step, current, context(late));
  t.equal(parseBundle(String(change?.data['ca.crt'])).length, 2, 'old + new CA');
  t.equal(change?.data['tls.crt'], undefined, 'serving cert untouched');
  const phase1 = state(
    { ...fresh, 'ca.crt': String(change?.data['ca.crt']), 'ca.key': String(change?.data['ca.key']) },
    { 'otel-injector.io/serve-new-ca-after': String(change?.annotations['otel-injector.io/serve-new-ca-after']) },
  );
  t.equal(planStep(phase1, context(late)).kind, 'none', 'too early');
  const later = new Date(late.getTime() + 61_000);
  t.equal(planStep(phase1, context(later, false)).kind, 'none', 'caBundle does not hold the new CA yet');
  t.equal(planStep(phase1, context(later, true)).kind, 'switch');
});

t.test('missing or broken pieces', async (t) => {
  const now = new Date(issuedAt.getTime() + DAY);
  const { 'ca.key': _dropped, ...noCaKey } = healthy;
  t.equal(planStep(state(noCaKey), context(now)).kind, 'new-ca', 'lost CA key: rotate (phase 1), keep serving');
  t.equal(planStep(state({ ...healthy, 'tls.key': 'x' }), context(now)).kind, 'issue-serving', 'broken key: reissue from the CA');
  const other = await issueChain(hosts, 10, 100, issuedAt);
  t.equal(planStep(state({ ...healthy, 'tls.crt': other.serving.certPem, 'tls.key': other.serving.keyPem }), context(now)).kind, 'issue-serving', 'cert from a foreign CA');
  t.equal(planStep(state({}), context(now)).kind, 'fresh', 'empty Secret');
  const wrongNames = await issueServingCert(chain.ca, { hosts: ['other'], validityDays: 10, now: issuedAt });
  t.equal(planStep(state({ ...healthy, 'tls.crt': wrongNames.certPem, 'tls.key': wrongNames.keyPem }), context(now)).kind, 'issue-serving');
});

t.test('an expired CA: a fresh chain at once, expired CAs are not kept', async (t) => {
  const ca = await issueCa({ commonName: 'short', validityDays: 1, now: issuedAt });
  const serving = await issueServingCert(ca, { hosts, validityDays: 1, now: issuedAt });
  const old = state({ 'tls.crt': serving.certPem, 'tls.key': serving.keyPem, 'ca.crt': ca.certPem, 'ca.key': ca.keyPem });
  const now = new Date(issuedAt.getTime() + 2 * DAY);
  const step = planStep(old, context(now));
  t.equal(step.kind, 'fresh');
  const change = await buildChange(step, old, context(now));
  t.equal(parseBundle(String(change?.data['ca.crt'])).length, 1, 'only the new CA');
  t.equal(change?.annotations['otel-injector.io/drop-old-cas-after'], null);
});

t.test('phase 3 keeps only the serving certificate\'s CA', async (t) => {
  const now = new Date(issuedAt.getTime() + DAY);
  const extra = await issueCa({ commonName: 'previous', validityDays: 100, now: issuedAt });
  const s = state(
    { ...healthy, 'ca.crt': extra.certPem + chain.ca.certPem },
    { 'otel-injector.io/drop-old-cas-after': new Date(now.getTime() - 1).toISOString() },
  );
  const step = planStep(s, context(now));
  t.equal(step.kind, 'drop');
  const change = await buildChange(step, s, context(now));
  t.equal(change?.data['ca.crt'], chain.ca.certPem);
});
