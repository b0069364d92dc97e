import type { Server } from 'node:http';
import type { types } from 'mediasoup';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
    gauge('visita_sfu_probes', "Network tests (patients' pre-call checks) on this node", () => node.status().probes);
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
    const mediaStart = new Histogram({
      name: 'visita_sfu_media_start_seconds',
      help: "From a producer's creation to its first RTP packet (the client's ICE and DTLS, its first frame)",
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 2, 5, 10],
      registers,
    });
    node.on('producerFlowing', (e) => mediaStart.observe(e.waitedMs / 1000));
    const callAudioUp = new Histogram({
      name: 'visita_sfu_call_audio_up_seconds',
      help: "From a room's opening (the admission, or a move to this node) to both participants' microphones flowing",
      buckets: [0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2, 3, 5, 10],
      registers,
    });
    node.on('callAudioUp', (e) => callAudioUp.observe(e.waitedMs / 1000));
    // Packet counts and losses of every stream, read from mediasoup's stats when scraped: `in` from
    // the clients (producers' inbound streams), `out` to them (consumers, losses from the clients'
    // receiver reports). Loss ratio = rate(lost) / rate(packets).
    // One sample per scrape serves both counters (prom-client collects the metrics concurrently).
    const seen = new Map<string, { packets: number; lost: number }>();
    let sampling: Promise<void> | null = null;
    const sample = (): Promise<void> =>
      (sampling ??= (async () => {
        const live = new Set<string>();
        for (const { direction, stream } of [...node.streams()]) {
          const now = await streamCounts(stream, direction).catch(() => undefined);
          if (!now) continue;
          live.add(stream.id);
          const before = seen.get(stream.id) ?? { packets: 0, lost: 0 };
          packets.inc({ direction }, Math.max(0, now.packets - before.packets));
          lost.inc({ direction }, Math.max(0, now.lost - before.lost));
          seen.set(stream.id, now);
        }
        for (const id of seen.keys()) if (!live.has(id)) seen.delete(id);
      })().finally(() => {
        sampling = null;
      }));
    const packets = new Counter({
      name: 'visita_sfu_rtp_packets_total',
      help: 'RTP packets counted by the streams, by direction (in: client to node, out: node to client)',
      labelNames: ['direction'],
      registers,
      collect: sample,
    });
    const lost = new Counter({
      name: 'visita_sfu_rtp_packets_lost_total',
      help: 'RTP packets lost, by direction (in: client to node, out: node to client)',
      labelNames: ['direction'],
      registers,
      collect: sample,
    });
  }

  /** Serves GET /metrics on an internal port. */
  listen(port: number, host: string): Promise<{ port: number; server: Server }> {
    return serveMetrics(this.registry, port, host);
  }
}

/** A stream's packets and losses so far, from its own RTP stream stats (`inbound-rtp` in, `outbound-rtp` out). */
async function streamCounts(
  stream: types.Producer | types.Consumer,
  direction: 'in' | 'out',
): Promise<{ packets: number; lost: number }> {
  const type = direction === 'in' ? 'inbound-rtp' : 'outbound-rtp';
  let packets = 0;
  let lost = 0;
  for (const s of await stream.getStats()) {
    if (s.type !== type) continue;
    packets += s.packetCount;
    lost += s.packetsLost;
  }
  return { packets, lost };
}
