import type { Account, AccountStore, RefreshTokenStore, TwoFactor } from './AccountStore.ts';

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

  async idByEmail(email: string): Promise<string | null> {
    return (await this.findByEmail(email))?.id ?? null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    const a = this.#byId.get(id);
    if (a) this.#byId.set(id, { ...a, passwordHash });
  }

  async setTwoFactor(id: string, twoFactor: TwoFactor | null): Promise<void> {
    const a = this.#byId.get(id);
    if (!a) return;
    const { twoFactor: _old, pendingTotpSecret: _pending, ...rest } = a;
    this.#byId.set(
      id,
      twoFactor ? { ...rest, twoFactor: { ...twoFactor, recoveryHashes: [...twoFactor.recoveryHashes] } } : rest,
    );
  }

  async setPendingTotpSecret(id: string, secretEnc: string | null): Promise<void> {
    const a = this.#byId.get(id);
    if (!a) return;
    const { pendingTotpSecret: _old, ...rest } = a;
    this.#byId.set(id, secretEnc ? { ...rest, pendingTotpSecret: secretEnc } : rest);
  }

  async acceptTotpStep(id: string, step: number): Promise<boolean> {
    const a = this.#byId.get(id);
    if (!a?.twoFactor || step <= a.twoFactor.lastStep) return false;
    this.#byId.set(id, { ...a, twoFactor: { ...a.twoFactor, lastStep: step } });
    return true;
  }

  async consumeRecoveryCode(id: string, candidates: readonly string[]): Promise<boolean> {
    const a = this.#byId.get(id);
    const hashes = a?.twoFactor?.recoveryHashes ?? [];
    const i = hashes.findIndex((h) => candidates.includes(h));
    if (!a?.twoFactor || i < 0) return false;
    this.#byId.set(id, { ...a, twoFactor: { ...a.twoFactor, recoveryHashes: hashes.filter((_, j) => j !== i) } });
    return true;
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
