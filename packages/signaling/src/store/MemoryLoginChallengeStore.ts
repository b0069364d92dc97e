import type { ChallengeHolder, LoginChallengeStore } from './LoginChallengeStore.ts';

/** In-memory twin of RedisLoginChallengeStore; `now` is injectable for expiry tests. */
export class MemoryLoginChallengeStore implements LoginChallengeStore {
  readonly #challenges = new Map<string, ChallengeHolder & { attempts: number; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async create(hash: string, holder: ChallengeHolder, ttlMs: number): Promise<void> {
    this.#challenges.set(hash, { ...holder, attempts: 0, expiresAt: this.#now() + ttlMs });
  }

  async attempt(hash: string): Promise<(ChallengeHolder & { attempts: number }) | null> {
    const c = this.#live(hash);
    if (!c) return null;
    c.attempts++;
    return { accountId: c.accountId, sessionId: c.sessionId, email: c.email, attempts: c.attempts };
  }

  async take(hash: string): Promise<boolean> {
    const live = this.#live(hash) !== null;
    this.#challenges.delete(hash);
    return live;
  }

  #live(hash: string): (ChallengeHolder & { attempts: number; expiresAt: number }) | null {
    const c = this.#challenges.get(hash);
    if (c && c.expiresAt <= this.#now()) this.#challenges.delete(hash);
    return c && c.expiresAt > this.#now() ? c : null;
  }
}
