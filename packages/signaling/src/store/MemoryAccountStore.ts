import type { Account, AccountStore, RefreshTokenStore } from './AccountStore.ts';

/** In-memory twins of the Redis account stores; `now` is injectable for expiry tests. */
export class MemoryAccountStore implements AccountStore {
  readonly #byId = new Map<string, Account>();

  async create(account: Account): Promise<boolean> {
    const email = account.email.toLowerCase();
    for (const a of this.#byId.values()) if (a.email === email) return false;
    this.#byId.set(account.id, { ...account, email });
    return true;
  }

  async get(id: string): Promise<Account | null> {
    return this.#byId.get(id) ?? null;
  }

  async findByEmail(email: string): Promise<Account | null> {
    for (const a of this.#byId.values()) if (a.email === email.toLowerCase()) return a;
    return null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    const a = this.#byId.get(id);
    if (a) this.#byId.set(id, { ...a, passwordHash });
  }
}

export class MemoryRefreshTokenStore implements RefreshTokenStore {
  readonly #tokens = new Map<string, { accountId: string; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async save(tokenHash: string, accountId: string, ttlMs: number): Promise<void> {
    this.#tokens.set(tokenHash, { accountId, expiresAt: this.#now() + ttlMs });
  }

  async take(tokenHash: string): Promise<string | null> {
    const t = this.#tokens.get(tokenHash);
    this.#tokens.delete(tokenHash);
    return t && t.expiresAt > this.#now() ? t.accountId : null;
  }
}
