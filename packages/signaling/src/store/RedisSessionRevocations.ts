import type { Redis } from 'ioredis';
import type { SessionRevocations } from '../accounts/AccountService.ts';

const revokedKey = (sessionId: string): string => `visita:revoked-session:${sessionId}`;
const sessionsKey = (accountId: string): string => `visita:account-sessions:${accountId}`;

// KEYS[1] the account's sessions (sorted set: id → when it can no longer be used); ARGV: the session
// kept, now, the revocation's TTL in ms. Revokes every other open one; returns their ids.
const REVOKE_ALL_BUT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local ended = {}
for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if sid ~= ARGV[1] then
    redis.call('SET', 'visita:revoked-session:' .. sid, '1', 'PX', ARGV[3])
    redis.call('ZREM', KEYS[1], sid)
    ended[#ended + 1] = sid
  end
end
return ended`;

/**
 * Logged-out sessions, each kept until the last access token it issued has expired; and each
 * account's open sessions (until they could no longer be refreshed), to end them all at once.
 */
export class RedisSessionRevocations implements SessionRevocations {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async revoke(sessionId: string, ttlMs: number): Promise<void> {
    await this.#redis.set(revokedKey(sessionId), '1', 'PX', ttlMs);
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.#redis.exists(revokedKey(sessionId))) === 1;
  }

  async track(accountId: string, sessionId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.#redis
      .multi()
      .zremrangebyscore(sessionsKey(accountId), '-inf', now)
      .zadd(sessionsKey(accountId), now + ttlMs, sessionId)
      .pexpire(sessionsKey(accountId), ttlMs)
      .exec();
  }

  async revokeAllBut(accountId: string, keep: string, ttlMs: number): Promise<string[]> {
    // The script names keys it does not declare (one per session): fine on one Redis or Sentinel, not on a Cluster.
    return (await this.#redis.eval(REVOKE_ALL_BUT, 1, sessionsKey(accountId), keep, Date.now(), ttlMs)) as string[];
  }
}
