import type { SecretBox } from './SecretBox.ts';

/**
 * Integrity of account records at rest: a keyed hash over the fields that decide who logs in and
 * with which rights (id, email, name, role, password hash, creation time, the second factor's
 * secret, last used time step and unused recovery codes). A record changed in Redis by anyone
 * without the key (a role written in, a password hash replaced, a second factor deleted, a used
 * time step rewound, a used recovery code put back) no longer verifies, and the account is refused.
 */
export interface AccountSeal {
  seal(fields: SealedFields): string;
  /**
   * `current` if `seal` is this version's seal of `fields`; `legacy` if it is the first version's
   * (which did not cover the step and recovery codes: the store seals it again at once); false otherwise.
   */
  verify(fields: SealedFields, seal: string): 'current' | 'legacy' | false;
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
  /** The last TOTP time step accepted, or '' (never one, or no second factor). */
  tfStep: string;
  /** The unused recovery codes' keyed hashes, space-separated, or ''. */
  tfRecovery: string;
}

const V1 = (f: SealedFields): string =>
  `visita/account/v1\n${JSON.stringify([f.id, f.email, f.name, f.role, f.passwordHash, f.createdAt, f.tfSecret])}`;
const V2 = (f: SealedFields): string =>
  `visita/account/v2\n${JSON.stringify([f.id, f.email, f.name, f.role, f.passwordHash, f.createdAt, f.tfSecret, f.tfStep, f.tfRecovery])}`;

/** The seal made with SecretBox's keyed hash (any listed key verifies, the current one seals). */
export function accountSeal(box: SecretBox): AccountSeal {
  return {
    seal: (fields) => box.hash(V2(fields)),
    verify: (fields, seal) => {
      if (box.hashes(V2(fields)).includes(seal)) return 'current';
      return box.hashes(V1(fields)).includes(seal) ? 'legacy' : false;
    },
  };
}
