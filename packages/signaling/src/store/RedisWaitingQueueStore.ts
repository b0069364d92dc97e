import type { Redis } from 'ioredis';
import type { QueueEntry, WaitingQueueStore } from './WaitingQueueStore.ts';

const queueKey = (practitionerId: string): string => `visita:queue:${practitionerId}`;
const entryKey = (consultationId: string): string => `visita:queue-entry:${consultationId}`;

// KEYS[1] queue zset, KEYS[2] entry hash; ARGV: consultationId, checkedInAt, json. Keeps the first
// check-in time (ZADD NX) so a patient who comes back keeps their place. Returns the stored time.
const CHECK_IN = `
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3])
return at`;

/** A sorted set per practitioner (score = check-in time) and one JSON record per entry. */
export class RedisWaitingQueueStore implements WaitingQueueStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async checkIn(practitionerId: string, entry: QueueEntry): Promise<QueueEntry> {
    const at = await this.#redis.eval(CHECK_IN, 2, queueKey(practitionerId), entryKey(entry.consultationId), entry.consultationId, String(entry.checkedInAt), JSON.stringify(entry));
    return { ...entry, checkedInAt: Number(at) };
  }

  async remove(practitionerId: string, consultationId: string): Promise<boolean> {
    const [[, removed] = []] = (await this.#redis.multi().zrem(queueKey(practitionerId), consultationId).del(entryKey(consultationId)).exec()) ?? [];
    return Number(removed) > 0;
  }

  async list(practitionerId: string): Promise<QueueEntry[]> {
    const withScores = await this.#redis.zrange(queueKey(practitionerId), '0', '-1', 'WITHSCORES');
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
