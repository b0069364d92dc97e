import type { SecretBox } from './SecretBox.ts';

/**
 * Integrity of account records at rest: a keyed hash over the fields that decide who logs in and
 * with which rights (id, email, name, role, password hash, creation time, second-factor secret).
 * A record changed in Redis by anyone without the key (a role written in, a password hash
 * replaced, a second factor deleted) no longer verifies, and the account is refused.
 */
export interface AccountSeal {
  seal(fields: SealedFields): string;
  verify(fields: SealedFields, seal: string): boolean;
}

export interface SealedFields {
  id: string;
  email: string;
  name: string;
  role: string;
  passwordHash: string;
  createdAt: string;
  /** The sealed TOTP secret, or '' without a second factor. */
  tfSecret: string;
}

const DOMAIN = 'visita/account/v1\n';
const text = (f: SealedFields): string =>
  DOMAIN + JSON.stringify([f.id, f.email, f.name, f.role, f.passwordHash, f.createdAt, f.tfSecret]);

/** The seal made with SecretBox's keyed hash (any listed key verifies, the current one seals). */
export function accountSeal(box: SecretBox): AccountSeal {
  return {
    seal: (fields) => box.hash(text(fields)),
    verify: (fields, seal) => box.hashes(text(fields)).includes(seal),
  };
}
