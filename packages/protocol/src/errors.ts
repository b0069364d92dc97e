/** Every error a client or signaling can receive carries one of these codes. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_STATE: 'INVALID_STATE',
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
  NO_MEDIA_CAPACITY: 'NO_MEDIA_CAPACITY',
  MEDIA_ERROR: 'MEDIA_ERROR',
  TIMEOUT: 'TIMEOUT',
  RATE_LIMITED: 'RATE_LIMITED',
  /** The account already has as many consultations open (not ended) as it may: end some first. */
  TOO_MANY_OPEN: 'TOO_MANY_OPEN',
  /** A bounded resource (transports, producers, consumers, peers of a media room) is full. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The service cannot reach what it keeps records in (Redis down, restarting, failing over): try again shortly. */
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type AckOk<T> = { ok: true; data: T };
export type AckErr = { ok: false; code: ErrorCode; message: string };
/** The result of every request: success with data, or a typed error that changes nothing. */
export type Ack<T> = AckOk<T> | AckErr;

export const ok = <T>(data: T): AckOk<T> => ({ ok: true, data });
export const fail = (code: ErrorCode, message: string): AckErr => ({ ok: false, code, message });

/** An error thrown inside a service that maps to a typed ack. */
export class VisitaError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'VisitaError';
    this.code = code;
  }
}

/** The data of a successful ack; a failed one is thrown as a VisitaError with its code (every client unwraps here). */
export function unwrap<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new VisitaError(ack.code, ack.message);
  return ack.data;
}

export const toAckErr = (error: unknown): AckErr =>
  error instanceof VisitaError ? fail(error.code, error.message) : fail(ErrorCode.INTERNAL, 'internal error');
