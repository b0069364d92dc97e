import type { SessionRevocations } from '../accounts/AccountService.ts';

/** RedisSessionRevocations' in-memory twin (unit tests). */
export class MemorySessionRevocations implements SessionRevocations {
  readonly #revoked = new Map<string, number>();
  readonly #open = new Map<string, Map<string, number>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async revoke(sessionId: string, ttlMs: number): Promise<void> {
    this.#revoked.set(sessionId, this.#now() + ttlMs);
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (this.#revoked.get(sessionId) ?? 0) > this.#now();
  }

  async track(accountId: string, sessionId: string, ttlMs: number): Promise<void> {
    const open = this.#open.get(accountId) ?? new Map<string, number>();
    open.set(sessionId, this.#now() + ttlMs);
    this.#open.set(accountId, open);
  }

  async revokeAllBut(accountId: string, keep: string, ttlMs: number): Promise<string[]> {
    const open = this.#open.get(accountId) ?? new Map<string, number>();
    const ended = [...open].filter(([sid, until]) => sid !== keep && until > this.#now()).map(([sid]) => sid);
    for (const sid of ended) {
      open.delete(sid);
      await this.revoke(sid, ttlMs);
    }
    return ended;
  }
}
