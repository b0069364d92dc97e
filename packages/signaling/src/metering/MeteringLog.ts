import type { Redis } from 'ioredis';
import { MeteringEvent } from './events.ts';

export const METERING_STREAM = 'visita:metering';
const STREAM = METERING_STREAM;
const GROUP = 'raters';
const keyOf = (key: string): string => `visita:metering:key:${key}`;
const listOf = (consultationId: string): string => `visita:metering:c:${consultationId}`;
/** Idempotency keys and per-consultation histories are kept long enough for late retries and audits. */
const RETENTION_MS = 400 * 24 * 3600_000;
/** A delivery left unacknowledged this long (its rater died) is taken over by another rater. */
export const RATER_CLAIM_IDLE_MS = 30_000;

// KEYS[1] idempotency key, KEYS[2] stream, KEYS[3] consultation history; ARGV: json, retention.
// The same fact appended twice (retries, several instances) is stored once.
const APPEND = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'e', ARGV[1])
return 1`;

/**
 * The metering event log: an append-only Redis stream with idempotency keys (durable with AOF), a
 * history per consultation, and a consumer group through which raters (one per instance) share
 * the work; deliveries of a dead rater are claimed by another.
 */
export class MeteringLog {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /** Appends the event; false when that fact (key) was already recorded. */
  async append(event: MeteringEvent): Promise<boolean> {
    const e = MeteringEvent.parse(event);
    const r = await this.#redis.eval(
      APPEND,
      3,
      keyOf(e.key),
      STREAM,
      listOf(e.consultationId),
      JSON.stringify(e),
      String(RETENTION_MS),
    );
    return r === 1;
  }

  async history(consultationId: string): Promise<MeteringEvent[]> {
    return (await this.#redis.lrange(listOf(consultationId), 0, -1)).map((raw) => JSON.parse(raw) as MeteringEvent);
  }

  async ensureGroup(): Promise<void> {
    await this.#redis.xgroup('CREATE', STREAM, GROUP, '0', 'MKSTREAM').catch((e: Error) => {
      if (!/BUSYGROUP/.test(e.message)) throw e;
    });
  }

  /** New deliveries for `consumer`, or ones another rater left pending too long. */
  async read(consumer: string, count: number, blockMs: number): Promise<Array<{ id: string; event: MeteringEvent }>> {
    const claimed = (await this.#redis.xautoclaim(
      STREAM,
      GROUP,
      consumer,
      RATER_CLAIM_IDLE_MS,
      '0',
      'COUNT',
      count,
    )) as [string, Array<[string, string[]]>];
    let entries = claimed[1] ?? [];
    if (entries.length === 0) {
      const res = (await this.#redis.xreadgroup(
        'GROUP',
        GROUP,
        consumer,
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        STREAM,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      entries = res?.[0]?.[1] ?? [];
    }
    return entries
      .filter(([, fields]) => fields && fields[0] === 'e' && fields[1])
      .map(([id, fields]) => ({ id, event: JSON.parse(fields[1]!) as MeteringEvent }));
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.#redis.xack(STREAM, GROUP, ...ids);
  }
}
