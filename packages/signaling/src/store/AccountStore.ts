export const AccountRole = { PRACTITIONER: 'practitioner', OPS: 'ops' } as const;
export type AccountRole = (typeof AccountRole)[keyof typeof AccountRole];

export interface Account {
  id: string;
  email: string;
  name: string;
  role: AccountRole;
  passwordHash: string;
  createdAt: number;
  /** Two-factor authentication, when enabled. */
  twoFactor?: TwoFactor;
  /** A TOTP secret being set up (sealed), until a code confirms it. */
  pendingTotpSecret?: string;
}

/** An account's enabled second factor. */
export interface TwoFactor {
  /** The TOTP secret, sealed (SecretBox): never stored or logged in clear. */
  secretEnc: string;
  /** The last TOTP time step accepted: a code of this step or an earlier one is refused (replay). */
  lastStep: number;
  /** Keyed hashes of the recovery codes not used yet. */
  recoveryHashes: string[];
}

/** Practitioner and ops accounts. Emails are unique, compared lower-cased. */
export interface AccountStore {
  /** Creates the account; false (and nothing changed) if the email is taken. */
  create(account: Account): Promise<boolean>;
  get(id: string): Promise<Account | null>;
  findByEmail(email: string): Promise<Account | null>;
  /** The id the email is registered to, even when its record no longer verifies (an administrator resets it). */
  idByEmail(email: string): Promise<string | null>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Enables (and clears the pending secret), replaces, or with null removes the second factor. No-op for an unknown id. */
  setTwoFactor(id: string, twoFactor: TwoFactor | null): Promise<void>;
  /** Sets or clears the secret being set up. No-op for an unknown id. */
  setPendingTotpSecret(id: string, secretEnc: string | null): Promise<void>;
  /**
   * Atomically records `step` as the last TOTP step used, if 2FA is enabled and `step` is later
   * than the last one; false otherwise (a replay, or a concurrent request with the same code won).
   */
  acceptTotpStep(id: string, step: number): Promise<boolean>;
  /** Atomically removes the first of `candidates` (the same code's hashes under each key) still unused; false if none is. */
  consumeRecoveryCode(id: string, candidates: readonly string[]): Promise<boolean>;
}

/** Refresh tokens: opaque, single use (rotated on every refresh), expiring, revocable. */
export interface RefreshTokenStore {
  save(tokenHash: string, accountId: string, ttlMs: number): Promise<void>;
  /** Atomically takes the token: the account id once, then null (a replayed token fails). */
  take(tokenHash: string): Promise<string | null>;
}
