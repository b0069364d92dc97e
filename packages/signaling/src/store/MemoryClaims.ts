import type { Claims } from './Claims.ts';

/** In-memory twin of RedisClaims, on the clock it is given. */
export class MemoryClaims implements Claims {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    if ((this.#until.get(key) ?? 0) > now) return false;
    this.#until.set(key, now + Math.max(1, Math.floor(ttlMs)));
    return true;
  }
}
