import type { Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { serveMetrics } from '@visita/protocol/metricsServer';
import type { SfuNode } from './SfuNode.ts';
import type { WorkerPool } from './WorkerPool.ts';

/**
 * This node's Prometheus metrics (prom-client), labelled with its id: media objects, capacity,
 * drain state, the workers' CPU time, worker deaths and drains. Served on an internal port only
 * (`VISITA_SFU_METRICS_PORT`, loopback by default): they are for the autoscaler and ops, not strangers.
 */
export class SfuMetrics {
  readonly registry = new Registry();
  readonly drains: Counter;

  constructor(node: SfuNode, pool: WorkerPool) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: node.nodeId });
    collectDefaultMetrics({ register: this.registry, prefix: 'visita_sfu_' });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('visita_sfu_rooms', 'Media rooms (consultations) on this node', () => node.status().rooms);
    gauge('visita_sfu_transports', 'WebRTC transports', () => node.status().transports);
    gauge('visita_sfu_producers', 'Producers (microphones, cameras)', () => node.status().producers);
    gauge('visita_sfu_consumers', 'Consumers', () => node.status().consumers);
    gauge('visita_sfu_capacity_consumers', 'Consumers this node takes at most', () => node.maxConsumers);
    gauge('visita_sfu_workers', 'mediasoup workers', () => pool.workers.length);
    gauge('visita_sfu_draining', '1 while the node drains', () => (node.draining ? 1 : 0));
    new Gauge({
      name: 'visita_sfu_worker_cpu_seconds',
      help: 'CPU time used by the mediasoup workers since they started (user + system)',
      registers,
      async collect() {
        let ms = 0;
        for (const w of pool.workers) {
          const u = await w.getResourceUsage().catch(() => undefined);
          if (u) ms += u.ru_utime + u.ru_stime;
        }
        this.set(ms / 1000);
      },
    });
    const deaths = new Counter({ name: 'visita_sfu_worker_deaths_total', help: 'Workers that died', registers });
    pool.on('workerDied', () => deaths.inc());
    this.drains = new Counter({ name: 'visita_sfu_drains_total', help: 'Drains started (SIGTERM)', registers });
  }

  /** Serves GET /metrics on an internal port. */
  listen(port: number, host: string): Promise<{ port: number; server: Server }> {
    return serveMetrics(this.registry, port, host);
  }
}
