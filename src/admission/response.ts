import type { Operation } from 'fast-json-patch';
import { ADMISSION_API_VERSION, type AdmissionReview } from './types.js';

/** An allowed AdmissionReview answer echoing `uid`, with a JSON Patch only when there is a change. */
export function allowed(uid: string, patch: readonly Operation[] = [], warnings: readonly string[] = []): AdmissionReview {
  const response: AdmissionReview['response'] = { uid, allowed: true };
  if (patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  if (warnings.length > 0) response.warnings = [...warnings];
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
