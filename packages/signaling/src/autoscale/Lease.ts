import type { Redis } from 'ioredis';

// KEYS[1] lease; ARGV: holder, ttl ms. Takes a free lease or renews one's own; 1 when held.
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

// KEYS[1] lease; ARGV: holder. Frees it only if it is one's own.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A leader lease in Redis: at most one holder at a time; the holder renews it (each `hold()`), and
 * another candidate takes it once it lapses (the holder died) or is released (it stopped cleanly).
 */
export class Lease {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #holder: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, key: string, holder: string, ttlMs: number) {
    this.#redis = redis;
    this.#key = key;
    this.#holder = holder;
    this.#ttlMs = Math.max(1, Math.floor(ttlMs));
  }

  /** Takes or renews the lease; true while this candidate holds it. */
  async hold(): Promise<boolean> {
    return Number(await this.#redis.eval(HOLD, 1, this.#key, this.#holder, String(this.#ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#key, this.#holder);
  }

  /** Who holds it now (null: nobody). */
  holder(): Promise<string | null> {
    return this.#redis.get(this.#key);
  }
}
