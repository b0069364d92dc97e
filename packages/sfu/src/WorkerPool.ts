import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from './logger.ts';

export interface WorkerPoolEvents {
  /** A worker died and was replaced (or replacement failed: `replaced` false). */
  workerDied: [{ pid: number; error: Error; replaced: boolean }];
}

/**
 * A fixed-size pool of mediasoup workers (one per core by default). A dead worker is logged and
 * replaced; its routers are closed by mediasoup, and whoever owns them hears it through the router.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #size: number;
  readonly #log: Logger;
  readonly #workers: types.Worker[] = [];
  readonly #routerCount = new Map<types.Worker, number>();
  readonly #workerOf = new WeakMap<types.Router, types.Worker>();
  /** Replacements under way: a router asked for meanwhile waits for them rather than failing. */
  readonly #replacing = new Set<Promise<unknown>>();
  #closed = false;

  private constructor(size: number, log: Logger) {
    super();
    this.#size = size;
    this.#log = log;
  }

  static async create(size: number, log: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(size, log);
    for (let i = 0; i < size; i++) await pool.#spawn();
    return pool;
  }

  get workers(): readonly types.Worker[] {
    return this.#workers;
  }

  /** The least loaded live worker (fewest routers). */
  pick(): types.Worker {
    let best: types.Worker | undefined;
    for (const w of this.#workers) {
      if (w.closed) continue;
      if (!best || (this.#routerCount.get(w) ?? 0) < (this.#routerCount.get(best) ?? 0)) best = w;
    }
    if (!best) throw new Error('no live mediasoup worker');
    return best;
  }

  async createRouter(mediaCodecs: types.RouterRtpCodecCapability[]): Promise<types.Router> {
    if (!this.#workers.some((w) => !w.closed) && this.#replacing.size > 0)
      await Promise.allSettled([...this.#replacing]);
    const worker = this.pick();
    const router = await worker.createRouter({ mediaCodecs });
    this.#routerCount.set(worker, (this.#routerCount.get(worker) ?? 0) + 1);
    this.#workerOf.set(router, worker);
    router.observer.once('close', () => {
      this.#routerCount.set(worker, Math.max(0, (this.#routerCount.get(worker) ?? 1) - 1));
    });
    return router;
  }

  /** The worker a router of this pool runs on. */
  workerOf(router: types.Router): types.Worker | undefined {
    return this.#workerOf.get(router);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) w.close();
    this.#workers.length = 0;
  }

  async #spawn(): Promise<types.Worker> {
    const worker = await mediasoup.createWorker({ logLevel: 'warn' });
    keepThroughSignals(worker);
    this.#workers.push(worker);
    this.#routerCount.set(worker, 0);
    worker.on('died', (error) => void this.#onDied(worker, error));
    this.#log.info({ workerPid: worker.pid }, 'mediasoup worker started');
    return worker;
  }

  async #onDied(worker: types.Worker, error: Error): Promise<void> {
    const i = this.#workers.indexOf(worker);
    if (i >= 0) this.#workers.splice(i, 1);
    this.#routerCount.delete(worker);
    this.#log.error({ workerPid: worker.pid, err: error.message }, 'mediasoup worker died');
    if (this.#closed) return;
    let replaced = false;
    const spawning = this.#spawn();
    this.#replacing.add(spawning);
    try {
      await spawning;
      replaced = true;
    } catch (e) {
      this.#log.error({ err: (e as Error).message }, 'could not replace the dead worker');
    } finally {
      this.#replacing.delete(spawning);
    }
    this.emit('workerDied', { pid: worker.pid, error, replaced });
  }
}

/**
 * mediasoup closes each worker as soon as this process receives SIGINT or SIGTERM (listeners it
 * adds to `process`). This node decides what a signal means (SIGTERM drains: calls go on), so those
 * listeners are taken off; the node closes its workers itself when it stops. The listener is
 * mediasoup's `onSignal` (TypeScript-private, present at run time); if a version lacks it there
 * is nothing to remove.
 */
function keepThroughSignals(worker: types.Worker): void {
  const onSignal = (worker as unknown as { onSignal?: (signal: NodeJS.Signals) => void }).onSignal;
  if (typeof onSignal !== 'function') return;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}
