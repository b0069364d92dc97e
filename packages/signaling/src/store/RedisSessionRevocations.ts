import type { Redis } from 'ioredis';
import type { SessionRevocations } from '../accounts/AccountService.ts';

const revokedKey = (sessionId: string): string => `visita:revoked-session:${sessionId}`;

/** Logged-out sessions, each kept until the last access token it issued has expired. */
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
}
