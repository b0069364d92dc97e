import { ErrorCode, fail, toAckErr, type AckErr } from '@visita/protocol';
import { isRedisUnavailable } from '@visita/protocol/redis';

export const UNAVAILABLE_MESSAGE = 'the service is briefly unavailable; your call goes on, try again in a moment';

/**
 * An error as a typed answer: a VisitaError keeps its code, Redis out of reach (down, restarting,
 * frozen, failing over) is UNAVAILABLE, anything else INTERNAL.
 */
export function answerFor(error: unknown): AckErr {
  if (isRedisUnavailable(error)) return fail(ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE);
  return toAckErr(error);
}
