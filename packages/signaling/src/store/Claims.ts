import type { Redis } from 'ioredis';

/**
 * Who handles a shared event: `claim` is true for exactly one caller per key within `ttlMs`, on
 * every instance (the sweeper's pass, recovering a lost media room). Redis in production.
 */
export interface Claims {
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export class RedisClaims implements Claims {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(`visita:claim:${key}`, '1', 'PX', Math.max(1, Math.floor(ttlMs)), 'NX')) === 'OK';
  }
}
