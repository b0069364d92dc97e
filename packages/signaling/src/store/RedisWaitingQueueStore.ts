import type { Redis } from 'ioredis';
import { Role } from '@visita/protocol';
import type { WaitingRoomView } from '../autoscale/decide.ts';
import { practitionerPresenceKey } from '../notifier.ts';
import { presenceKey } from './RedisPresenceStore.ts';
import type { QueueEntry, WaitingQueueStore } from './WaitingQueueStore.ts';
import { Retention } from './retention.ts';

const queueKey = (practitionerId: string): string => `visita:queue:${practitionerId}`;
const entryKey = (consultationId: string): string => `visita:queue-entry:${consultationId}`;
const absentKey = (consultationId: string): string => `visita:queue-absent:${consultationId}`;
/** Practitioners with someone waiting (for the sweeper). */
const ACTIVE = 'visita:queues';
/** An absence note outlives any grace period, then cleans itself up. */
const ABSENT_TTL_MS = 24 * 3600_000;

// KEYS[1] queue zset, KEYS[2] entry (expires: it holds the patient's name), KEYS[3] active set;
// ARGV: consultationId, checkedInAt, json, practitionerId, entry TTL. Keeps the first
// check-in time (ZADD NX) so a patient who comes back keeps their place. Returns the stored time.
const CHECK_IN = `
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
redis.call('SADD', KEYS[3], ARGV[4])
return at`;

// KEYS[1] queue, KEYS[2] entry, KEYS[3] absence note, KEYS[4] active set; ARGV: consultationId, practitionerId.
const REMOVE = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
return removed`;

/**
 * Every waiting room with someone in it (the autoscaler's demand): how many patients wait, and
 * whether the practitioner's dashboard is present at `now` (any instance). One ZCARD and one
 * ZCOUNT per practitioner with someone waiting, read in pages of 500.
 */
export async function waitingRooms(redis: Redis, now: number): Promise<WaitingRoomView[]> {
  const rooms: WaitingRoomView[] = [];
  let cursor = '0';
  do {
    const [next, ids] = await redis.sscan(ACTIVE, cursor, 'COUNT', 500);
    cursor = next;
    if (ids.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const id of ids)
      pipeline
        .zcard(queueKey(id))
        .zcount(presenceKey(practitionerPresenceKey(id), Role.PRACTITIONER), `(${now}`, '+inf');
    const replies = (await pipeline.exec()) ?? [];
    for (let i = 0; i + 1 < replies.length; i += 2) {
      const [queueErr, waiting] = replies[i]!;
      const [presenceErr, present] = replies[i + 1]!;
      if (queueErr) continue;
      rooms.push({ waiting: Number(waiting) || 0, practitionerOnline: !presenceErr && Number(present) > 0 });
    }
  } while (cursor !== '0');
  return rooms;
}

/** A sorted set per practitioner (score = check-in time) and one JSON record per entry. */
export class RedisWaitingQueueStore implements WaitingQueueStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async checkIn(practitionerId: string, entry: QueueEntry): Promise<QueueEntry> {
    const at = await this.#redis.eval(
      CHECK_IN,
      3,
      queueKey(practitionerId),
      entryKey(entry.consultationId),
      ACTIVE,
      entry.consultationId,
      String(entry.checkedInAt),
      JSON.stringify(entry),
      practitionerId,
      String(Retention.WAITING_ENTRY_MS),
    );
    return { ...entry, checkedInAt: Number(at) };
  }

  async remove(practitionerId: string, consultationId: string): Promise<boolean> {
    const removed = await this.#redis.eval(
      REMOVE,
      4,
      queueKey(practitionerId),
      entryKey(consultationId),
      absentKey(consultationId),
      ACTIVE,
      consultationId,
      practitionerId,
    );
    return Number(removed) > 0;
  }

  async entry(practitionerId: string, consultationId: string): Promise<QueueEntry | null> {
    const [at, raw] = await Promise.all([
      this.#redis.zscore(queueKey(practitionerId), consultationId),
      this.#redis.get(entryKey(consultationId)),
    ]);
    return at === null || raw === null ? null : { ...(JSON.parse(raw) as QueueEntry), checkedInAt: Number(at) };
  }

  ids(practitionerId: string, start = 0, stop = -1): Promise<string[]> {
    return this.#redis.zrange(queueKey(practitionerId), String(start), String(stop));
  }

  count(practitionerId: string): Promise<number> {
    return this.#redis.zcard(queueKey(practitionerId));
  }

  rank(practitionerId: string, consultationId: string): Promise<number | null> {
    return this.#redis.zrank(queueKey(practitionerId), consultationId);
  }

  practitioners(): Promise<string[]> {
    return this.#redis.smembers(ACTIVE);
  }

  async markAbsent(consultationId: string, now: number): Promise<number> {
    await this.#redis.set(absentKey(consultationId), String(now), 'PX', ABSENT_TTL_MS, 'NX');
    return Number((await this.#redis.get(absentKey(consultationId))) ?? now);
  }

  async absences(consultationIds: string[]): Promise<Array<number | null>> {
    if (consultationIds.length === 0) return [];
    const raw = await this.#redis.mget(consultationIds.map(absentKey));
    // Redis contents are not trusted: anything but a time reads as "not noted".
    return raw.map((v) => (v !== null && /^\d{1,16}$/.test(v) ? Number(v) : null));
  }

  async clearAbsent(consultationId: string): Promise<boolean> {
    return (await this.#redis.del(absentKey(consultationId))) > 0;
  }

  async list(practitionerId: string, limit?: number): Promise<QueueEntry[]> {
    const stop = limit === undefined ? '-1' : String(limit - 1);
    const withScores = await this.#redis.zrange(queueKey(practitionerId), '0', stop, 'WITHSCORES');
    const ids: string[] = [];
    const times: number[] = [];
    for (let i = 0; i < withScores.length; i += 2) {
      ids.push(withScores[i]!);
      times.push(Number(withScores[i + 1]));
    }
    if (ids.length === 0) return [];
    const raw = await this.#redis.mget(ids.map(entryKey));
    const out: QueueEntry[] = [];
    raw.forEach((r, i) => {
      if (r) out.push({ ...(JSON.parse(r) as QueueEntry), checkedInAt: times[i]! });
    });
    return out;
  }
}
