import type { Redis } from 'ioredis';
import type { Identity } from '../tokens.ts';

/** The key an identity's sockets are counted under: its patient link's consultation, or its account. */
export function identityKey(identity: Identity): string {
  return identity.kind === 'patient' ? `patient:${identity.consultationId}` : `practitioner:${identity.sub}`;
}

/**
 * How many sockets each identity (a patient link, a practitioner account) holds open across every
 * instance: a sorted set per identity, member = `instanceId:socketId`, score = expiry. Instances
 * renew their members (with presence, every third of the TTL), so a dead instance's sockets stop
 * counting after the TTL; a handshake that never became a connection lapses the same way.
 */
export interface ConnectionCaps {
  /**
   * Counts the socket in, unless the identity already holds `cap` live sockets; false then. It
   * counts for the store's TTL, or `ttlMs` when given (what is not renewed: a network test).
   */
  tryAdd(identityKey: string, member: string, cap: number, now: number, ttlMs?: number): Promise<boolean>;
  remove(identityKey: string, member: string): Promise<void>;
  /** Renews live sockets (the presence heartbeat). */
  renew(entries: ReadonlyArray<{ identityKey: string; member: string }>, now: number): Promise<void>;
}

const key = (identityKey: string): string => `visita:conns:${identityKey}`;

// KEYS[1] the identity's set; ARGV: member, cap, now, expiry. 1 if counted in.
const TRY_ADD = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1`;

export class RedisConnectionCaps implements ConnectionCaps {
  readonly #redis: Redis;
  readonly #ttlMs: number;

  constructor(redis: Redis, ttlMs: number) {
    this.#redis = redis;
    this.#ttlMs = ttlMs;
  }

  async tryAdd(identityKey: string, member: string, cap: number, now: number, ttlMs = this.#ttlMs): Promise<boolean> {
    return (
      (await this.#redis.eval(TRY_ADD, 1, key(identityKey), member, String(cap), String(now), String(now + ttlMs))) ===
      1
    );
  }

  async remove(identityKey: string, member: string): Promise<void> {
    await this.#redis.zrem(key(identityKey), member);
  }

  async renew(entries: ReadonlyArray<{ identityKey: string; member: string }>, now: number): Promise<void> {
    if (entries.length === 0) return;
    const expiry = now + this.#ttlMs;
    const batch = this.#redis.pipeline();
    for (const e of entries)
      batch.zadd(key(e.identityKey), 'XX', expiry, e.member).pexpireat(key(e.identityKey), expiry);
    await batch.exec();
  }
}
