import type { FastifyInstance } from 'fastify';
import { parseReview } from '../admission/parse.js';
import { reasonClass, reviewAdmission } from '../admission/review.js';
import type { Config } from '../config/index.js';
import { BadReviewError } from '../errors.js';
import type { AppDeps } from './deps.js';

/** POST /mutate: one AdmissionReview in, one out; 400 only for bodies that are not a review at all. */
export function registerMutate(app: FastifyInstance, config: Config, deps: AppDeps): void {
  app.post('/mutate', async (request, reply) => {
    const started = deps.clock.monotonicMs();
    let admission;
    try {
      admission = parseReview(request.body);
    } catch (error) {
      if (!(error instanceof BadReviewError)) throw error;
      request.log.info({ reason: error.message }, 'rejected malformed review');
      return reply.code(400).send({ error: error.code, message: error.message });
    }
    const traceparent = request.headers.traceparent;
    const observation = deps.telemetry.beginReview(typeof traceparent === 'string' ? traceparent : undefined);
    const support = deps.deliverySupport === undefined ? undefined : { snapshot: deps.deliverySupport(), nowMs: deps.clock.now().getTime() };
    const result = reviewAdmission(admission, config.inject, support);
    const log = request.log.child({ uid: admission.uid, namespace: result.namespace, pod: result.pod, traceId: observation.traceId });
    const fields = {
      decision: result.decision,
      reason: result.reason,
      ops: result.ops,
      ...(result.delivery === undefined ? {} : { delivery: result.delivery.delivery, deliveryReason: result.delivery.reason }),
      dryRun: admission.dryRun === true,
      durationMs: Number((deps.clock.monotonicMs() - started).toFixed(3)),
    };
    if (result.error !== undefined) log.error({ ...fields, err: result.error }, 'review failed, allowed untouched');
    else log.info(fields, 'review');
    observation.end({ decision: result.decision, reason: reasonClass(result.reason), namespace: result.namespace, ops: result.ops });
    return result.review;
  });
}
