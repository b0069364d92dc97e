import type { Redis } from 'ioredis';
import type { Role } from '@visita/protocol';

/**
 * Deadlines that must fire even when the instance that set them is dead: a participant's
 * reconnection grace period. They live in Redis; the sweeper (one instance per pass) takes the
 * due ones. One deadline per consultation and role: a later departure replaces an earlier one.
 */
export interface GraceDeadline {
  consultationId: string;
  role: Role;
  /** When the participant left (their media stopped then). */
  goneAt: number;
}

export interface DeadlineStore {
  /** Sets (or moves) the deadline of this participant. */
  schedule(d: GraceDeadline, dueAt: number): Promise<void>;
  /** Sets it only if this participant has none (the sweeper noticing a departure nobody reported). */
  scheduleIfAbsent(d: GraceDeadline, dueAt: number): Promise<boolean>;
  /** Takes the deadlines due at `now` (each is handed to exactly one caller). */
  takeDue(now: number, limit: number): Promise<GraceDeadline[]>;
}

const DUE = 'visita:deadlines';
const detail = (member: string): string => `visita:deadline:${member}`;
const memberOf = (d: Pick<GraceDeadline, 'consultationId' | 'role'>): string => `${d.consultationId}:${d.role}`;
/** A deadline's detail outlives any grace period, then cleans itself up. */
const DETAIL_TTL_MS = 24 * 3600_000;

// KEYS[1] due set, KEYS[2] detail; ARGV: member, due, json, ttl, nx (1: only if absent). 1 if set.
const SCHEDULE = `
if ARGV[5] == '1' and redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return 1`;
// KEYS[1] due set, KEYS[2] detail; ARGV: member. The detail if this caller took it, else nil.
const TAKE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local d = redis.call('GET', KEYS[2])
redis.call('DEL', KEYS[2])
return d`;

export class RedisDeadlineStore implements DeadlineStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async schedule(d: GraceDeadline, dueAt: number): Promise<void> {
    await this.#set(d, dueAt, false);
  }

  scheduleIfAbsent(d: GraceDeadline, dueAt: number): Promise<boolean> {
    return this.#set(d, dueAt, true);
  }

  async takeDue(now: number, limit: number): Promise<GraceDeadline[]> {
    const members = await this.#redis.zrangebyscore(DUE, '-inf', now, 'LIMIT', 0, limit);
    const taken: GraceDeadline[] = [];
    for (const m of members) {
      const raw = (await this.#redis.eval(TAKE, 2, DUE, detail(m), m)) as string | null;
      if (raw) taken.push(JSON.parse(raw) as GraceDeadline);
    }
    return taken;
  }

  async #set(d: GraceDeadline, dueAt: number, onlyIfAbsent: boolean): Promise<boolean> {
    const m = memberOf(d);
    const json = JSON.stringify({ consultationId: d.consultationId, role: d.role, goneAt: d.goneAt });
    return (
      (await this.#redis.eval(
        SCHEDULE,
        2,
        DUE,
        detail(m),
        m,
        String(dueAt),
        json,
        String(DETAIL_TTL_MS),
        onlyIfAbsent ? '1' : '0',
      )) === 1
    );
  }
}
