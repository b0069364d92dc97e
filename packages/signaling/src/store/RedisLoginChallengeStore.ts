import type { Redis } from 'ioredis';
import type { ChallengeHolder, LoginChallengeStore } from './LoginChallengeStore.ts';

const challengeKey = (hash: string): string => `visita:login-challenge:${hash}`;

// KEYS[1] challenge hash. The holder's fields and the new attempt count, or nil if it has expired.
const ATTEMPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return redis.call('HGETALL', KEYS[1])`;

/** Login challenges as Redis hashes that expire by themselves (PX). */
export class RedisLoginChallengeStore implements LoginChallengeStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async create(hash: string, h: ChallengeHolder, ttlMs: number): Promise<void> {
    await this.#redis
      .multi()
      .hset(challengeKey(hash), { accountId: h.accountId, sessionId: h.sessionId, email: h.email, attempts: '0' })
      .pexpire(challengeKey(hash), ttlMs)
      .exec();
  }

  async attempt(hash: string): Promise<(ChallengeHolder & { attempts: number }) | null> {
    const flat = (await this.#redis.eval(ATTEMPT, 1, challengeKey(hash))) as string[] | null;
    if (!flat) return null;
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
    if (!f['accountId'] || !f['sessionId'] || !f['email']) return null;
    return { accountId: f['accountId'], sessionId: f['sessionId'], email: f['email'], attempts: Number(f['attempts']) };
  }

  async take(hash: string): Promise<boolean> {
    return (await this.#redis.del(challengeKey(hash))) === 1;
  }
}
