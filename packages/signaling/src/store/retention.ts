import type { Redis } from 'ioredis';

const DAY_MS = 24 * 3600_000;

/**
 * How long Visita keeps what it stores in Redis (the README's retention table says the same).
 * Keys holding patient data expire by themselves (TTL); streams and indexes are trimmed by age by
 * `applyRetention`, run by one instance every RETENTION_EVERY_MS.
 */
export const Retention = {
  /** A waiting-room entry (name, reason, device check): removed when the patient leaves the queue, at most this long. */
  WAITING_ENTRY_MS: DAY_MS,
  /** A consultation not ended (its record holds the patient's name): this long after it opens (or is scheduled for). */
  OPEN_CONSULTATION_MS: 30 * DAY_MS,
  /** An ended consultation (billing and audit read it). */
  ENDED_CONSULTATION_MS: 7 * DAY_MS,
  /** The metering stream (every rater has read it long before; the per-consultation histories stay 400 days). */
  METERING_STREAM_MS: 90 * DAY_MS,
  /** The Socket.IO adapter's stream carries broadcasts (names, chat) for connection-state recovery: the recovery window and a minute more. */
  socketStreamMs: (recoveryWindowMs: number): number => recoveryWindowMs + 60_000,
} as const;

export const RETENTION_EVERY_MS = 10 * 60_000;

export interface RetentionPolicy {
  socketStream: { key: string; maxAgeMs: number };
  meteringStream: { key: string; maxAgeMs: number };
  /** The audit streams (all, and one per practitioner). */
  audit: { key: string; perPractitionerPattern: string; maxAgeMs: number };
  /** Each practitioner's consultation index (sorted by creation time). */
  consultationIndexPattern: string;
  consultationKey: (id: string) => string;
}

/** Trims every stream by age and drops index entries whose record expired. Returns what it removed. */
export async function applyRetention(
  redis: Redis,
  policy: RetentionPolicy,
  now: number,
): Promise<{ streamEntries: number; indexEntries: number }> {
  const trim = async (key: string, maxAgeMs: number) =>
    Number(await redis.xtrim(key, 'MINID', `${Math.max(0, now - maxAgeMs)}-0`));
  let streamEntries = 0;
  streamEntries += await trim(policy.socketStream.key, policy.socketStream.maxAgeMs);
  streamEntries += await trim(policy.meteringStream.key, policy.meteringStream.maxAgeMs);
  streamEntries += await trim(policy.audit.key, policy.audit.maxAgeMs);
  for await (const key of scanKeys(redis, policy.audit.perPractitionerPattern))
    streamEntries += await trim(key, policy.audit.maxAgeMs);

  let indexEntries = 0;
  for await (const index of scanKeys(redis, policy.consultationIndexPattern)) {
    // Only entries old enough that their record may have expired; at most a page per pass.
    const ids = await redis.zrangebyscore(index, 0, now - Retention.ENDED_CONSULTATION_MS, 'LIMIT', 0, 1000);
    if (ids.length === 0) continue;
    const exists = await Promise.all(ids.map((id) => redis.exists(policy.consultationKey(id))));
    const gone = ids.filter((_, i) => exists[i] === 0);
    if (gone.length) indexEntries += await redis.zrem(index, ...gone);
  }
  return { streamEntries, indexEntries };
}

async function* scanKeys(redis: Redis, pattern: string): AsyncGenerator<string> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    yield* keys;
  } while (cursor !== '0');
}
