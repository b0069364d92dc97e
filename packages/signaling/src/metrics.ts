import type { Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { serveMetrics } from '@visita/protocol/metricsServer';
import type { ErrorCode } from '@visita/protocol';
import type { UseCaseObserver } from './usecases/context.ts';

/** What the metrics read from the running instance. */
export interface SignalingGauges {
  instanceId: string;
  connectedSockets: () => number;
  sfuNodes: () => Promise<number>;
  callsInProgress: () => Promise<number>;
  /** Admissions waiting for media capacity, all instances. */
  admissionsWaiting: () => Promise<number>;
}

/**
 * This instance's Prometheus metrics (prom-client): connections, SFU nodes, calls in progress,
 * admissions and their queue wait, calls moved to another media node (and why), and refused
 * requests by error code (rate limits among them). Served on an internal port only
 * (`VISITA_METRICS_PORT`, loopback by default), never on the public API port.
 */
export class SignalingMetrics {
  readonly registry = new Registry();
  /** The use cases' observer (see UseCaseObserver). */
  readonly observer: UseCaseObserver;
  readonly #refused: Counter<'code'>;
  readonly #redisAvailable: Gauge;
  readonly #durableConfirm: Histogram;
  readonly #durableKept: Gauge;

  constructor(g: SignalingGauges) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ instance_id: g.instanceId });
    collectDefaultMetrics({ register: this.registry, prefix: 'visita_signaling_' });
    new Gauge({
      name: 'visita_signaling_connected_sockets',
      help: 'Socket.IO connections held by this instance',
      registers,
      collect() {
        this.set(g.connectedSockets());
      },
    });
    new Gauge({
      name: 'visita_signaling_sfu_nodes',
      help: 'SFU nodes with a valid, signed record',
      registers,
      async collect() {
        this.set(await g.sfuNodes().catch(() => 0));
      },
    });
    new Gauge({
      name: 'visita_signaling_calls_in_progress',
      help: 'Consultations in a call, all instances',
      registers,
      async collect() {
        this.set(await g.callsInProgress().catch(() => 0));
      },
    });
    new Gauge({
      name: 'visita_signaling_admissions_waiting_for_capacity',
      help: 'Admissions waiting for an SFU node with room, all instances',
      registers,
      async collect() {
        this.set(await g.admissionsWaiting().catch(() => 0));
      },
    });
    const delayed = new Counter({
      name: 'visita_signaling_admissions_delayed_total',
      help: 'Admissions that found no media capacity and waited for it',
      registers,
    });
    const capacityWait = new Histogram({
      name: 'visita_signaling_admission_capacity_wait_seconds',
      help: 'Time a delayed admission waited for media capacity before its call started',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    const admissions = new Counter({ name: 'visita_signaling_admissions_total', help: 'Patients admitted', registers });
    const queueWait = new Histogram({
      name: 'visita_signaling_queue_wait_seconds',
      help: 'Time from check-in to admission',
      buckets: [15, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600],
      registers,
    });
    const moves = new Counter({
      name: 'visita_signaling_media_moves_total',
      help: 'Calls moved to another SFU node, by why their room was lost',
      labelNames: ['reason'] as const,
      registers,
    });
    this.#refused = new Counter({
      name: 'visita_signaling_requests_refused_total',
      help: 'Client requests answered with an error, by code (RATE_LIMITED: budgets and limits)',
      labelNames: ['code'] as const,
      registers,
    });
    this.#redisAvailable = new Gauge({
      name: 'visita_signaling_redis_available',
      help: 'Whether this instance reaches Redis now (1) or not (0): requests answer UNAVAILABLE meanwhile',
      registers,
    });
    this.#redisAvailable.set(1);
    this.#durableConfirm = new Histogram({
      name: 'visita_signaling_durable_confirm_seconds',
      help: 'From a metering fact or audit record written to a replica confirming it (WAIT; high availability only)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#durableKept = new Gauge({
      name: 'visita_signaling_durable_writes_kept',
      help: 'Metering facts and audit records held in memory: to be written again (Redis out of reach) or not yet confirmed by a replica',
      registers,
    });
    this.observer = {
      admitted: (waitedMs) => {
        admissions.inc();
        queueWait.observe(waitedMs / 1000);
      },
      mediaMoved: (reason) => moves.inc({ reason }),
      admissionDelayed: () => delayed.inc(),
      admissionResumed: (waitedMs) => capacityWait.observe(waitedMs / 1000),
    };
  }

  refused(code: ErrorCode): void {
    this.#refused.inc({ code });
  }

  redisAvailable(available: boolean): void {
    this.#redisAvailable.set(available ? 1 : 0);
  }

  durableConfirmed(ms: number): void {
    this.#durableConfirm.observe(ms / 1000);
  }

  durableKept(count: number): void {
    this.#durableKept.set(count);
  }

  /** Serves GET /metrics on an internal port. */
  listen(port: number, host: string): Promise<{ port: number; server: Server }> {
    return serveMetrics(this.registry, port, host);
  }
}
