import type { Redis } from 'ioredis';
import { DURATION_SAMPLES } from '../domain/queue.ts';

/** How long a practitioner's recent durations are kept without a new one. */
const DURATIONS_TTL_S = 90 * 24 * 3600;
const key = (practitionerId: string) => `visita:durations:${practitionerId}`;

/**
 * The durations of a practitioner's recent consultations (admission to end, ms), newest first, at
 * most DURATION_SAMPLES: what wait estimates are made of. Redis in production.
 */
export interface DurationStore {
  record(practitionerId: string, ms: number): Promise<void>;
  recent(practitionerId: string): Promise<number[]>;
}

export class RedisDurationStore implements DurationStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async record(practitionerId: string, ms: number): Promise<void> {
    await this.#redis
      .multi()
      .lpush(key(practitionerId), String(Math.round(ms)))
      .ltrim(key(practitionerId), 0, DURATION_SAMPLES - 1)
      .expire(key(practitionerId), DURATIONS_TTL_S)
      .exec();
  }

  async recent(practitionerId: string): Promise<number[]> {
    // Whatever the list holds is checked: only whole, positive numbers are durations.
    const raw = await this.#redis.lrange(key(practitionerId), 0, DURATION_SAMPLES - 1);
    return raw.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  }
}
