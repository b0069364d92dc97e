import { Secret, TOTP as Totp } from 'otpauth';
import { TOTP } from '@visita/protocol';

/** Steps accepted either side of the current one (clock drift, a code typed as it changes). */
export const TOTP_WINDOW = 1;

const totp = (secretBase32: string, label = 'Visita'): Totp =>
  new Totp({
    issuer: TOTP.issuer,
    label,
    algorithm: TOTP.algorithm,
    digits: TOTP.digits,
    period: TOTP.periodS,
    secret: Secret.fromBase32(secretBase32),
  });

/** A new random secret (160 bits, RFC 4226's recommendation), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://totp/Visita:<email>?secret=…&issuer=Visita…` URI an authenticator app scans. */
export function totpUri(secretBase32: string, email: string): string {
  return totp(secretBase32, email).toString();
}

/**
 * The time step a code is valid for at `nowMs` (± TOTP_WINDOW steps), or null. A step at or before
 * `lastStep` (the last one accepted for this account) is refused: a code cannot be replayed, even
 * within its 90-second window. The caller must record the returned step atomically (the store's
 * `acceptTotpStep`) before treating the code as good.
 */
export function verifyTotp(secretBase32: string, code: string, nowMs: number, lastStep: number): number | null {
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  if (delta === null) return null;
  const step = Totp.counter({ period: TOTP.periodS, timestamp: nowMs }) + delta;
  return step > lastStep ? step : null;
}
