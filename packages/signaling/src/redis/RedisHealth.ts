import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** How often the link to Redis is checked, and how long a PING may take before Redis counts as out of reach. */
export const REDIS_PROBE_EVERY_MS = 1_000;
export const REDIS_PROBE_TIMEOUT_MS = 1_500;

/**
 * Whether this instance can reach Redis now, and since when: the connection's own events (closed,
 * ready) and a PING every second that must answer within 1.5 s (a frozen Redis keeps its
 * connection open and answers nothing). `backAt` is when Redis last came back after being out of
 * reach: what happened meanwhile (presence not renewed, departures not written) is judged from
 * then, not from the loss.
 */
export class RedisHealth extends EventEmitter<{ change: [available: boolean] }> {
  #available = true;
  #since: number;
  #backAt: number | null = null;
  readonly #redis: Redis;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #probing = false;

  constructor(redis: Redis, log: Logger, now: () => number = Date.now) {
    super();
    this.#redis = redis;
    this.#log = log;
    this.#now = now;
    this.#since = now();
    redis.on('close', () => this.#set(false, 'connection closed'));
    redis.on('ready', () => void this.#probe());
    this.#timer = setInterval(() => void this.#probe(), REDIS_PROBE_EVERY_MS);
    this.#timer.unref();
  }

  get available(): boolean {
    return this.#available;
  }

  /** When Redis last came back after being out of reach (null: never lost since start). */
  get backAt(): number | null {
    return this.#backAt;
  }

  /**
   * Whether absences read from Redis mean something now: Redis is reachable, and has been for
   * `ms` (every connection had the time to show itself present again).
   */
  settledFor(ms: number): boolean {
    return this.#available && (this.#backAt === null || this.#now() - this.#backAt >= ms);
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #probe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer to PING')), REDIS_PROBE_TIMEOUT_MS);
        }),
      ]);
      this.#set(true);
    } catch (e) {
      this.#set(false, (e as Error).message);
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }

  #set(available: boolean, why?: string): void {
    if (available === this.#available) return;
    const now = this.#now();
    const lastedMs = now - this.#since;
    this.#available = available;
    this.#since = now;
    if (available) {
      this.#backAt = now;
      this.#log.info({ unavailableMs: lastedMs }, 'redis reachable again');
    } else {
      this.#log.warn({ reason: why }, 'redis out of reach: requests answer UNAVAILABLE, calls go on');
    }
    this.emit('change', available);
  }
}
