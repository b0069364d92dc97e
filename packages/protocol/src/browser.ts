// What a browser needs of the protocol at run time, without zod: the schemas validate on the
// server, and zod would be most of a patient's download. Types come from the package's root.
import type { LoginResponse, SecondFactorRequired } from './http.ts';

export { ErrorCode, unwrap, VisitaError } from './errors.ts';
export { PROTOCOL_VERSION } from './version.ts';
export { TURN_RENEW_MS } from './turn.ts';

export const needsSecondFactor = (r: LoginResponse): r is SecondFactorRequired =>
  'twoFactorRequired' in r && r.twoFactorRequired;
