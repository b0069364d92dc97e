export const AccountRole = { PRACTITIONER: 'practitioner', OPS: 'ops' } as const;
export type AccountRole = (typeof AccountRole)[keyof typeof AccountRole];

export interface Account {
  id: string;
  email: string;
  name: string;
  role: AccountRole;
  passwordHash: string;
  createdAt: number;
}

/** Practitioner and ops accounts. Emails are unique, compared lower-cased. */
export interface AccountStore {
  /** Creates the account; false (and nothing changed) if the email is taken. */
  create(account: Account): Promise<boolean>;
  get(id: string): Promise<Account | null>;
  findByEmail(email: string): Promise<Account | null>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
}

/** Refresh tokens: opaque, single use (rotated on every refresh), expiring, revocable. */
export interface RefreshTokenStore {
  save(tokenHash: string, accountId: string, ttlMs: number): Promise<void>;
  /** Atomically takes the token: the account id once, then null (a replayed token fails). */
  take(tokenHash: string): Promise<string | null>;
}
