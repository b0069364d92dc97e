import type { Redis } from 'ioredis';
import { z } from 'zod';
import { Id, PractitionerClaims } from '@visita/protocol';

/**
 * An admission waiting for media capacity: the practitioner admitted, no SFU node had room, and
 * the call starts by itself as soon as one has (Calls.startPendingAdmissions).
 */
export interface PendingAdmission {
  consultationId: string;
  practitionerId: string;
  /** When the practitioner admitted (epoch ms): the oldest start first. */
  since: number;
  /** Who admitted: the call is started (and audited) in their name. */
  by: PractitionerClaims;
}

/** The admissions waiting for capacity, every instance together. Redis in production. */
export interface AdmissionStore {
  /** Records it; false when one is already pending for the consultation (the first one stays). */
  add(a: PendingAdmission): Promise<boolean>;
  get(consultationId: string): Promise<PendingAdmission | null>;
  /** True when it was pending. */
  remove(consultationId: string): Promise<boolean>;
  /** The oldest first, at most `limit`. */
  oldest(limit: number): Promise<PendingAdmission[]>;
  count(): Promise<number>;
}

const ORDER = 'visita:admissions';
const DATA = 'visita:admissions:data';
const Stored = z
  .object({ consultationId: Id, practitionerId: Id, since: z.number().int().nonnegative(), by: PractitionerClaims })
  .strict();

// KEYS[1] order zset, KEYS[2] data hash; ARGV: consultationId, since, json. Returns 1 when added.
const ADD = `
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`;

/** A sorted set (score: since) for the order and a hash of records, both changed together. */
export class RedisAdmissionStore implements AdmissionStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async add(a: PendingAdmission): Promise<boolean> {
    const json = JSON.stringify(Stored.parse(a));
    return Number(await this.#redis.eval(ADD, 2, ORDER, DATA, a.consultationId, String(a.since), json)) === 1;
  }

  async get(consultationId: string): Promise<PendingAdmission | null> {
    return this.#parse(consultationId, await this.#redis.hget(DATA, consultationId));
  }

  async remove(consultationId: string): Promise<boolean> {
    const [[, removed] = [null, 0]] =
      (await this.#redis.multi().zrem(ORDER, consultationId).hdel(DATA, consultationId).exec()) ?? [];
    return Number(removed) > 0;
  }

  async oldest(limit: number): Promise<PendingAdmission[]> {
    const ids = await this.#redis.zrange(ORDER, '0', String(Math.max(0, limit - 1)));
    if (ids.length === 0) return [];
    const raw = await this.#redis.hmget(DATA, ...ids);
    const out: PendingAdmission[] = [];
    for (const [i, id] of ids.entries()) {
      const a = this.#parse(id, raw[i] ?? null);
      // A record that is missing or not ours is dropped: it would block the ones behind it.
      if (a) out.push(a);
      else await this.remove(id);
    }
    return out;
  }

  count(): Promise<number> {
    return this.#redis.zcard(ORDER);
  }

  /** What the hash holds, checked: the shape, and the id it is filed under. */
  #parse(consultationId: string, raw: string | null): PendingAdmission | null {
    if (raw === null) return null;
    try {
      const a = Stored.parse(JSON.parse(raw));
      return a.consultationId === consultationId && a.by.sub === a.practitionerId ? a : null;
    } catch {
      return null;
    }
  }
}
