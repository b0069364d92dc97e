import type { Redis } from 'ioredis';
import { isRedisUnavailable } from '@visita/protocol/redis';
import type { Logger } from '../logger.ts';

/** How often kept writes are tried again and replicas asked to confirm; how many are kept at most. */
export const DURABLE_EVERY_MS = 100;
export const DURABLE_MAX_KEPT = 100_000;

export interface DurableWritesOptions {
  /** A connection of its own: WAIT blocks it while replicas answer, and nothing else waits behind it. */
  redis: Redis;
  /** Replicas that must have a write before it is let go (0: no replica, no WAIT). */
  replicas: number;
  /** How long one WAIT waits for them. */
  waitMs: number;
  log: Logger;
  /** For metrics: how long a write waited for its replica's confirmation, ms. */
  confirmed?: (ms: number) => void;
  /** For metrics: writes kept (to be made again, or not yet confirmed by a replica). */
  keptChanged?: (count: number) => void;
}

type Write = (redis: Redis) => Promise<unknown>;
interface Kept {
  what: string;
  write: Write;
  /** When it was first made (or tried). */
  at: number;
}

/**
 * The writes that must never be lost — metering facts and audit records — made so that neither a
 * Redis outage nor a failover loses them, without making anyone wait for a replica:
 * - each write is idempotent (a key makes a second attempt change nothing) and is made at once;
 * - one that fails because Redis is out of reach is kept, in order, and made again every 100 ms
 *   until it is (the caller carries on);
 * - with replicas, a write made is kept until a replica confirms it: WAIT, every 100 ms, confirms
 *   every write made on this connection before it. If the connection drops meanwhile (the primary
 *   died, or failed over to a replica that may not have it), the unconfirmed writes are made again
 *   on whichever primary it reaches next.
 * So a write is lost only if this process dies while holding it and Redis loses it too (kept in
 * this process's memory: see issue 22's outbox).
 */
export class DurableWrites {
  readonly #o: DurableWritesOptions;
  /** To make (again), in order. */
  readonly #toMake: Kept[] = [];
  /** Made, not yet confirmed by a replica, in order. */
  readonly #unconfirmed: Kept[] = [];
  readonly #timer: NodeJS.Timeout;
  #busy = false;
  #dropped = 0;
  /** Bumped when the connection drops: a WAIT begun before confirms nothing after. */
  #link = 0;

  constructor(options: DurableWritesOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.flush(), DURABLE_EVERY_MS);
    this.#timer.unref();
    options.redis.on('close', () => {
      this.#link++;
      if (this.#unconfirmed.length === 0) return;
      // Perhaps never copied: made again where the connection goes next (idempotent).
      this.#toMake.unshift(...this.#unconfirmed.splice(0));
      this.#changed();
    });
  }

  /** Writes kept: to make again, or made and waiting for a replica's confirmation. */
  get kept(): number {
    return this.#toMake.length + this.#unconfirmed.length;
  }

  /**
   * Makes `write` (idempotent) now, or keeps it to be made when Redis is back; resolves either
   * way. Rejects only on an error that is not Redis being out of reach (a bug: nothing kept).
   */
  async run(what: string, write: Write): Promise<void> {
    const kept: Kept = { what, write, at: Date.now() };
    if (this.#toMake.length > 0) return this.#keep(this.#toMake, kept); // behind those waiting: in order
    try {
      await write(this.#o.redis);
    } catch (e) {
      if (!isRedisUnavailable(e)) throw e;
      this.#o.log.warn({ what, err: (e as Error).message }, 'durable write kept to be made again');
      return this.#keep(this.#toMake, kept);
    }
    if (this.#o.replicas > 0) this.#keep(this.#unconfirmed, kept);
  }

  /** Makes the kept writes in order (until one fails), then asks the replicas to confirm. */
  async flush(): Promise<void> {
    if (this.#busy || this.kept === 0) return;
    this.#busy = true;
    try {
      while (this.#toMake.length > 0) {
        const next = this.#toMake[0]!;
        try {
          await next.write(this.#o.redis);
        } catch (e) {
          if (isRedisUnavailable(e)) return;
          this.#o.log.error({ what: next.what, err: (e as Error).message }, 'durable write failed for good');
        }
        this.#toMake.shift();
        if (this.#o.replicas > 0) this.#unconfirmed.push(next);
        this.#changed();
      }
      if (this.#unconfirmed.length > 0) await this.#confirm();
    } finally {
      this.#busy = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** WAIT: the writes made before it are confirmed when enough replicas have them. */
  async #confirm(): Promise<void> {
    const count = this.#unconfirmed.length;
    const link = this.#link;
    let copied: number;
    try {
      copied = (await this.#o.redis.wait(this.#o.replicas, this.#o.waitMs)) as number;
    } catch {
      return; // out of reach: the connection's drop puts them back to be made again
    }
    if (copied < this.#o.replicas || link !== this.#link) return;
    const now = Date.now();
    for (const w of this.#unconfirmed.splice(0, count)) this.#o.confirmed?.(now - w.at);
    this.#changed();
  }

  #keep(list: Kept[], kept: Kept): void {
    if (this.kept >= DURABLE_MAX_KEPT) {
      if (list === this.#unconfirmed && this.#unconfirmed.length > 0) {
        // No replica for a long while: the oldest made writes stop being watched (they are on the
        // primary; only a failover now could lose them).
        this.#unconfirmed.shift();
        if (this.#dropped++ % 10_000 === 0)
          this.#o.log.warn(
            { kept: this.kept },
            'durable writes: no replica confirms; the oldest are no longer watched',
          );
      } else {
        if (this.#dropped++ % 1_000 === 0)
          this.#o.log.error({ what: kept.what, kept: this.kept }, 'durable writes: too many kept, one lost');
        return;
      }
    }
    list.push(kept);
    this.#changed();
  }

  #changed(): void {
    this.#o.keptChanged?.(this.kept);
  }
}
