import { randomBytes } from 'node:crypto';
import { RECOVERY_CODE_ALPHABET, RECOVERY_CODE_COUNT, RecoveryCode } from '@visita/protocol';

/** Fresh recovery codes, `xxxxx-xxxxx` (50 random bits each, Crockford's base32: no i, l, o, u). */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    // 32 symbols: a byte's low 5 bits pick one uniformly.
    const chars = [...randomBytes(10)].map((b) => RECOVERY_CODE_ALPHABET[b & 31]!).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** The code as it is hashed (lower case, no dash or space); null if it cannot be a recovery code. */
export function normalizeRecoveryCode(code: string): string | null {
  const r = RecoveryCode.safeParse(code);
  return r.success ? r.data : null;
}
