import { BadReviewError } from '../errors.js';
import { ADMISSION_API_VERSION, type AdmissionRequest } from './types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates an HTTP body as an admission.k8s.io/v1 AdmissionReview request; throws BadReviewError (HTTP 400). */
export function parseReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new BadReviewError('body is not a JSON object');
  if (body.kind !== 'AdmissionReview') throw new BadReviewError('kind is not AdmissionReview');
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    throw new BadReviewError(`apiVersion ${JSON.stringify(body.apiVersion)} is not ${ADMISSION_API_VERSION}`);
  }
  const request = body.request;
  if (!isObject(request)) throw new BadReviewError('request is missing');
  if (typeof request.uid !== 'string' || request.uid === '') throw new BadReviewError('request.uid is missing');
  return request as AdmissionRequest;
}
