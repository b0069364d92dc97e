import type { Redis } from 'ioredis';
import type { Role } from '@visita/protocol';
import type { PresenceStore } from './PresenceStore.ts';

/** The presence set of one consultation and role (or of a practitioner's dashboard: `practitionerPresenceKey`). */
export const presenceKey = (consultationId: string, role: Role): string => `visita:presence:${consultationId}:${role}`;
const key = presenceKey;

/**
 * One sorted set per consultation and role: member = connection, score = expiry (ms). Expired
 * members are ignored, and swept on read one TTL after they expired (lastSeen reads them until
 * then); the key itself expires when nobody renews it.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly #redis: Redis;
  readonly #ttlMs: number;

  constructor(redis: Redis, ttlMs: number) {
    this.#redis = redis;
    this.#ttlMs = ttlMs;
  }

  async touch(consultationId: string, role: Role, member: string, now: number): Promise<void> {
    const k = key(consultationId, role);
    await this.#redis
      .multi()
      .zadd(k, now + this.#ttlMs, member)
      .pexpire(k, this.#ttlMs * 2)
      .exec();
  }

  async remove(consultationId: string, role: Role, member: string): Promise<void> {
    await this.#redis.zrem(key(consultationId, role), member);
  }

  async presentMany(consultationIds: readonly string[], role: Role, now: number): Promise<boolean[]> {
    if (consultationIds.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of consultationIds) pipeline.zcount(key(id, role), `(${now}`, '+inf');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([, count]) => Number(count ?? 0) > 0);
  }

  async lastSeen(consultationId: string, role: Role): Promise<number | null> {
    const [, score] = await this.#redis.zrevrange(key(consultationId, role), 0, 0, 'WITHSCORES');
    return score === undefined ? null : Number(score) - this.#ttlMs;
  }

  async isPresent(consultationId: string, role: Role, now: number): Promise<boolean> {
    const k = key(consultationId, role);
    const [, count] =
      (await this.#redis
        .multi()
        .zremrangebyscore(k, '-inf', now - this.#ttlMs)
        .zcount(k, `(${now}`, '+inf')
        .exec()) ?? [];
    return Number(count?.[1] ?? 0) > 0;
  }
}
