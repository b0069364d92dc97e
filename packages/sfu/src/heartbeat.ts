import type { Redis } from 'ioredis';
import { SFU_HEARTBEAT_MS, SFU_NODES_SET, SFU_STALE_MS, sfuNodeKey, type SfuNodeRecord } from '@visita/protocol';
import { nodeRecordKey, signNodeRecord } from '@visita/protocol/nodeRecord';
import type { Logger } from './logger.ts';
import type { SfuNode } from './SfuNode.ts';
import type { WorkerPool } from './WorkerPool.ts';

/**
 * Writes this node's load to Redis every SFU_HEARTBEAT_MS with a TTL, so a dead node disappears
 * from placement by itself. `cpu` is the workers' CPU time over the last interval, in cores. The
 * record is signed with a key derived from the shared SFU secret: signaling ignores unsigned ones.
 */
export class Heartbeat {
  readonly #timer: NodeJS.Timeout;
  readonly redis: Redis;
  readonly node: SfuNode;
  readonly pool: WorkerPool;
  readonly controlUrl: string;
  readonly log: Logger;
  readonly #recordKey: Buffer;
  #lastCpuMs: number | undefined;
  #lastAt = Date.now();
  /** Each worker's CPU time at the last beat, by pid (a replaced worker starts afresh). */
  #lastWorkerCpuMs = new Map<number, number>();
  /** Beats in a row that could not be written. */
  #failures = 0;

  constructor(redis: Redis, node: SfuNode, pool: WorkerPool, controlUrl: string, secret: string, log: Logger) {
    this.redis = redis;
    this.#recordKey = nodeRecordKey(secret);
    this.node = node;
    this.pool = pool;
    this.controlUrl = controlUrl;
    this.log = log;
    this.#timer = setInterval(() => void this.beat(), SFU_HEARTBEAT_MS);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    try {
      const now = Date.now();
      const perWorkerMs = await this.#workersCpuMs();
      const cpuMs = [...perWorkerMs.values()].reduce((a, b) => a + b, 0);
      const elapsed = Math.max(1, now - this.#lastAt);
      const cpu = this.#lastCpuMs === undefined ? 0 : Math.max(0, cpuMs - this.#lastCpuMs) / elapsed;
      const first = this.#lastCpuMs === undefined;
      const workerCpu = (pid: number): number => {
        const before = this.#lastWorkerCpuMs.get(pid);
        const used = perWorkerMs.get(pid);
        if (first || before === undefined || used === undefined) return 0;
        return Math.round((Math.max(0, used - before) / elapsed) * 1000) / 1000;
      };
      const s = this.node.status();
      const record: SfuNodeRecord = {
        nodeId: this.node.nodeId,
        controlUrl: this.controlUrl,
        state: this.node.draining ? 'draining' : 'serving',
        workers: s.workers,
        rooms: s.rooms,
        consumers: s.consumers,
        maxConsumers: this.node.maxConsumers,
        cpu: Math.round(cpu * 1000) / 1000,
        updatedAt: now,
        probes: s.probes,
        perWorker: s.perWorker.map((w) => ({ ...w, cpu: workerCpu(w.pid) })),
      };
      this.#lastCpuMs = cpuMs;
      this.#lastWorkerCpuMs = perWorkerMs;
      this.#lastAt = now;
      const signed = JSON.stringify(signNodeRecord(record, this.#recordKey));
      await this.redis
        .multi()
        .set(sfuNodeKey(record.nodeId), signed, 'PX', SFU_STALE_MS)
        .sadd(SFU_NODES_SET, record.nodeId)
        .exec();
      if (this.#failures > 0) this.log.info({ failures: this.#failures }, 'heartbeat written again');
      this.#failures = 0;
    } catch (e) {
      // Once per outage (Redis out of reach for a minute is 60 beats): calls go on meanwhile.
      if (this.#failures++ === 0) this.log.warn({ err: (e as Error).message }, 'heartbeat failed; calls go on');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.redis
      .multi()
      .del(sfuNodeKey(this.node.nodeId))
      .srem(SFU_NODES_SET, this.node.nodeId)
      .exec()
      .catch(() => undefined);
  }

  /** Each live worker's CPU time so far (ms), by pid. */
  async #workersCpuMs(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const w of this.pool.workers) {
      const u = await w.getResourceUsage().catch(() => undefined);
      if (u) out.set(w.pid, u.ru_utime + u.ru_stime);
    }
    return out;
  }
}
