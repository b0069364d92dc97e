import type { NextFunction, Request, Response } from 'express';
import { ErrorCode, fail } from '@visita/protocol';
import { answerFor } from '../redis/answer.ts';
import type { Logger } from '../logger.ts';
import { RateLimitedError } from '../rateLimits.ts';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  PROTOCOL_MISMATCH: 400,
  NO_MEDIA_CAPACITY: 503,
  MEDIA_ERROR: 502,
  TIMEOUT: 504,
  RATE_LIMITED: 429,
  TOO_MANY_OPEN: 409,
  LIMIT_EXCEEDED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The last handlers: an unknown endpoint is 404; an error is its typed body with its status, never a stack. */
export function errorHandlers(log: Logger) {
  return [
    (_req: Request, res: Response) => {
      res.status(404).json(fail(ErrorCode.NOT_FOUND, 'no such endpoint'));
    },
    (err: unknown, req: Request, res: Response, _next: NextFunction) => {
      const client = clientError(err);
      if (client) return void res.status(client.status).json(fail(ErrorCode.BAD_REQUEST, client.message));
      const body = answerFor(err);
      if (body.code === ErrorCode.INTERNAL) {
        log.error(
          { requestId: res.locals['requestId'], route: req.route?.path ?? 'unknown', err: (err as Error)?.message },
          'request failed',
        );
      }
      // Redis out of reach: try again shortly (the client's own retry waits about this long).
      if (body.code === ErrorCode.UNAVAILABLE) res.setHeader('retry-after', '2');
      // A limit: when it allows the next request (a crowd at the password hashing: a second or so).
      if (body.code === ErrorCode.RATE_LIMITED)
        res.setHeader('retry-after', String(err instanceof RateLimitedError ? err.retryAfterS : 1));
      res
        .status(HTTP_STATUS[body.code])
        .json(
          body.code === ErrorCode.INTERNAL
            ? fail(ErrorCode.INTERNAL, `internal error (request ${res.locals['requestId']})`)
            : body,
        );
    },
  ] as const;
}

/** A body the client got wrong (body-parser's errors carry a 4xx status and a type): never a 500. */
function clientError(err: unknown): { status: number; message: string } | null {
  const e = err as { type?: string; status?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return { status: 400, message: 'malformed JSON' };
    case 'entity.too.large':
      return { status: 413, message: 'request body too large' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: 'unsupported content encoding or charset' };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return { status: 400, message: 'invalid request body' };
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, message: 'invalid request' };
  return null;
}
