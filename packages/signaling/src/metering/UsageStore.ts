import type { Redis } from 'ioredis';
import type { UsageRecord } from '@visita/protocol';

/** One consultation's usage (the wire shape of `GET /api/usage`). */
export type { UsageRecord };

const recordKey = (consultationId: string): string => `visita:usage:c:${consultationId}`;
const periodKey = (practitionerId: string, period: string): string => `visita:usage:p:${practitionerId}:${period}`;
const periodIndex = (period: string): string => `visita:usage:period:${period}`;

/** Usage records and, per practitioner and period, the set of consultations to sum. */
export class UsageStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /** Writes (replaces) the record: idempotent, so two raters of the same history agree. */
  async put(r: UsageRecord): Promise<void> {
    await this.#redis
      .multi()
      .set(recordKey(r.consultationId), JSON.stringify(r))
      .sadd(periodKey(r.practitionerId, r.period), r.consultationId)
      .sadd(periodIndex(r.period), r.practitionerId)
      .exec();
  }

  async get(consultationId: string): Promise<UsageRecord | null> {
    const raw = await this.#redis.get(recordKey(consultationId));
    return raw ? (JSON.parse(raw) as UsageRecord) : null;
  }

  async forPractitioner(practitionerId: string, period: string): Promise<UsageRecord[]> {
    const ids = (await this.#redis.smembers(periodKey(practitionerId, period))).sort();
    if (ids.length === 0) return [];
    const raw = await this.#redis.mget(ids.map(recordKey));
    return raw.filter((x): x is string => x !== null).map((x) => JSON.parse(x) as UsageRecord);
  }

  async practitioners(period: string): Promise<string[]> {
    return (await this.#redis.smembers(periodIndex(period))).sort();
  }
}
