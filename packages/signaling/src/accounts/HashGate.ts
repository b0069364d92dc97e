import { ErrorCode, VisitaError } from '@visita/protocol';

/**
 * Bounds the password hashing this instance does at once: scrypt takes ~100 ms of a core and
 * 32 MiB, so a flood of logins must queue (briefly) or be refused, never take the process down
 * or starve every other request. Also at most `perKey` hashes in flight per client address.
 */
export class HashGate {
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #perKey: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];
  readonly #inFlight = new Map<string, number>();

  constructor(o: { concurrency: number; maxQueued: number; perKey: number }) {
    this.#concurrency = o.concurrency;
    this.#maxQueued = o.maxQueued;
    this.#perKey = o.perKey;
  }

  /**
   * Runs `work` when a slot is free; RATE_LIMITED at once when the key or the queue is full.
   * `priority` work (an address the account logged in from before) goes first and is never
   * refused for a full queue: a flood of strangers cannot keep the owner out.
   */
  async run<T>(key: string, work: () => Promise<T>, priority = false): Promise<T> {
    const mine = this.#inFlight.get(key) ?? 0;
    if (mine >= this.#perKey)
      throw new VisitaError(
        ErrorCode.RATE_LIMITED,
        'a login from this address is already being checked; retry in a moment',
      );
    if (!priority && this.#running >= this.#concurrency && this.#queue.length >= this.#maxQueued) {
      throw new VisitaError(ErrorCode.RATE_LIMITED, 'too many logins at once; retry in a moment');
    }
    this.#inFlight.set(key, mine + 1);
    try {
      if (this.#running >= this.#concurrency) {
        await new Promise<void>((resolve) => (priority ? this.#queue.unshift(resolve) : this.#queue.push(resolve)));
      } else this.#running++;
      try {
        return await work();
      } finally {
        const next = this.#queue.shift();
        if (next) next();
        else this.#running--;
      }
    } finally {
      const n = (this.#inFlight.get(key) ?? 1) - 1;
      if (n <= 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, n);
    }
  }

  /** Password checks done so far (for tests and metrics). */
  get stats(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#queue.length };
  }
}
