import type { Redis } from 'ioredis';
import { z } from 'zod';
import { SFU_STALE_MS, type SfuNodeRecord } from '@visita/protocol';
import { CONSUMERS_PER_CALL, hasRoomForCall } from '../domain/placement.ts';
import type { Logger } from '../logger.ts';
import { RedisAdmissionStore } from '../store/AdmissionStore.ts';
import { IN_CALL_SET } from '../store/RedisConsultationStore.ts';
import { waitingRooms } from '../store/RedisWaitingQueueStore.ts';
import { writeCapacityStatus } from './capacityStatus.ts';
import { decide, requiredNodes, waitingDemand, type Decision, type NodeView, type ScalingPolicy } from './decide.ts';
import type { Lease } from './Lease.ts';

/** A node asked for and not serving yet. */
export interface StartingNode {
  nodeId: string;
  /** When it was asked for (epoch ms). */
  since: number;
}

/**
 * Where SFU nodes come from: local processes on this machine, or an orchestrator that reads the
 * autoscaler's metric (Kubernetes with KEDA). The autoscaler decides; the provider carries it out.
 */
export interface NodeProvider {
  readonly name: string;
  /** Nodes asked for that have not served yet: capacity on its way. */
  starting(): StartingNode[];
  /** Time from asking for a node to it serving, as measured (or the provider's default), ms. */
  startupMs(): number;
  /** The nodes in Redis right now (the provider learns which of its nodes came up). */
  observe(nodes: readonly SfuNodeRecord[], now: number): void;
  scaleOut(count: number): Promise<void>;
  /** Drains these nodes (each finishes its calls, then stops). */
  drain(nodeIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** What the autoscaler reports, for its metrics. */
export interface AutoscalerObserver {
  leader(isLeader: boolean): void;
  tick(t: TickReport): void;
}

export interface TickReport {
  decision: Decision;
  activeCalls: number;
  /** Waiting patients counted as calls to come (`waitingDemand`). */
  waiting: number;
  /** Every waiting patient, counted or not. */
  waitingAll: number;
  admissionsWaiting: number;
  growthPerMin: number;
  serving: number;
  starting: number;
  draining: number;
}

export const AUTOSCALER_LEASE_KEY = 'visita:autoscaler:leader';
const STATE_KEY = 'visita:autoscaler:state';
/** Kept beyond any cooldown, so a new leader honours the last one's. */
const STATE_TTL_MS = 24 * 3600_000;
const State = z
  .object({
    lastScaleOutAt: z.number().int().nonnegative().nullable(),
    lastScaleInAt: z.number().int().nonnegative().nullable(),
  })
  .strict();

export interface AutoscalerOptions {
  redis: Redis;
  lease: Lease;
  provider: NodeProvider;
  /** The cluster's nodes from their signed records (SfuRegistry.nodes). */
  nodes: () => Promise<SfuNodeRecord[]>;
  /** consumersPerNode here is the fallback: nodes' measured capacity (their maxConsumers) wins. */
  policy: ScalingPolicy;
  /** The waiting room's growth is measured over this long. */
  growthWindowMs: number;
  log: Logger;
  observer?: AutoscalerObserver;
}

/**
 * The cluster's autoscaler: one leader at a time (a lease in Redis); each tick, the leader reads the
 * demand (calls in progress, patients waiting for a practitioner who is online — a few per
 * practitioner — and their growth, admissions waiting for capacity) and the nodes (their signed records), calls `decide`, carries the result out through
 * its provider, keeps the cooldown dates in Redis (a new leader honours them) and tells signaling
 * what capacity is on its way (capacityStatus: the "about N s" of a delayed admission).
 */
export class Autoscaler {
  readonly #o: AutoscalerOptions;
  readonly #admissions: RedisAdmissionStore;
  readonly #samples: Array<{ at: number; waiting: number }> = [];
  #wasLeader = false;

  constructor(options: AutoscalerOptions) {
    this.#o = options;
    this.#admissions = new RedisAdmissionStore(options.redis);
  }

  /** One round; null when another candidate leads. */
  async tick(now = Date.now()): Promise<TickReport | null> {
    const o = this.#o;
    const leader = await o.lease.hold();
    if (leader !== this.#wasLeader) {
      o.log.info({ provider: o.provider.name }, leader ? 'autoscaler: leading' : 'autoscaler: not leading');
      this.#wasLeader = leader;
      this.#samples.length = 0;
    }
    o.observer?.leader(leader);
    if (!leader) return null;
    const [activeCalls, rooms, admissionsWaiting, records, state] = await Promise.all([
      o.redis.scard(IN_CALL_SET),
      waitingRooms(o.redis, now),
      this.#admissions.count(),
      o.nodes(),
      this.#state(),
    ]);
    const fresh = records.filter((r) => now - r.updatedAt <= SFU_STALE_MS);
    o.provider.observe(fresh, now);
    const starting = o.provider.starting().filter((s) => !fresh.some((r) => r.nodeId === s.nodeId));
    const nodes: NodeView[] = [
      ...fresh.map((r) => ({
        id: r.nodeId,
        draining: r.state !== 'serving',
        calls: r.rooms,
        hasRoom: hasRoomForCall(r),
      })),
      ...starting.map((s) => ({ id: s.nodeId, draining: false, calls: 0, starting: true })),
    ];
    // Only patients whose practitioner is there to admit them, a few per practitioner (decide.ts).
    const waiting = waitingDemand(rooms, o.policy.waitingPerPractitioner);
    const growthPerMin = this.#growth(now, waiting);
    const policy = { ...o.policy, consumersPerNode: measuredCapacity(fresh) ?? o.policy.consumersPerNode };
    const demand = { now, activeCalls, waiting, waitingGrowthPerMin: growthPerMin, admissionsWaiting };
    const decision = decide(policy, demand, { nodes, ...state });
    let startedAt = starting.length > 0 ? Math.min(...starting.map((s) => s.since)) : null;
    if (decision.action === 'scaleOut') {
      o.log.info(
        { add: decision.add, required: decision.required, serving: decision.serving },
        'autoscaler: scale out',
      );
      await o.provider.scaleOut(decision.add);
      state.lastScaleOutAt = now;
      startedAt ??= now;
    } else if (decision.action === 'scaleIn') {
      o.log.info({ drain: decision.drain, required: decision.required }, 'autoscaler: scale in (drain)');
      await o.provider.drain(decision.drain);
      state.lastScaleInAt = now;
    }
    if (decision.action !== 'none') await o.redis.set(STATE_KEY, JSON.stringify(state), 'PX', STATE_TTL_MS);
    const startingCount = starting.length + (decision.action === 'scaleOut' ? decision.add : 0);
    const serving = nodes.filter((n) => !n.draining && !n.starting).length;
    await writeCapacityStatus(o.redis, {
      at: now,
      desired: Math.min(10_000, decision.required),
      serving: Math.min(10_000, serving),
      starting: Math.min(10_000, startingCount),
      readyAt: startingCount > 0 && startedAt !== null ? Math.round(startedAt + o.provider.startupMs()) : null,
      atMax: requiredNodes({ ...policy, maxNodes: Number.MAX_SAFE_INTEGER }, demand) > policy.maxNodes,
    });
    const report: TickReport = {
      decision,
      activeCalls,
      waiting,
      waitingAll: rooms.reduce((n, r) => n + r.waiting, 0),
      admissionsWaiting,
      growthPerMin,
      serving,
      starting: startingCount,
      draining: nodes.filter((n) => n.draining).length,
    };
    o.observer?.tick(report);
    return report;
  }

  /** Ticks every `everyMs` until the returned stop is called (which releases the lease). */
  run(everyMs: number): () => Promise<void> {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = running.then(() =>
        stopped
          ? null
          : this.tick().catch((e: Error) => this.#o.log.warn({ err: e.message }, 'autoscaler tick failed')),
      );
    }, everyMs);
    return async () => {
      stopped = true;
      clearInterval(timer);
      await running;
      await this.#o.lease.release().catch(() => undefined);
    };
  }

  /** The waiting room's change per minute over the growth window (0 until half of it is seen). */
  #growth(now: number, waiting: number): number {
    const window = this.#o.growthWindowMs;
    this.#samples.push({ at: now, waiting });
    while (this.#samples.length > 0 && now - this.#samples[0]!.at > window) this.#samples.shift();
    const first = this.#samples[0]!;
    const spanMs = now - first.at;
    if (spanMs < window / 2) return 0;
    return ((waiting - first.waiting) * 60_000) / spanMs;
  }

  async #state(): Promise<z.infer<typeof State>> {
    const raw = await this.#o.redis.get(STATE_KEY);
    try {
      return State.parse(JSON.parse(raw ?? 'null'));
    } catch {
      return { lastScaleOutAt: null, lastScaleInAt: null };
    }
  }
}

/** The nodes' own capacity (their maxConsumers, from the measured benchmark), the smallest; none: null. */
function measuredCapacity(nodes: readonly SfuNodeRecord[]): number | null {
  const caps = nodes.map((n) => n.maxConsumers).filter((c) => Number.isSafeInteger(c) && c >= CONSUMERS_PER_CALL);
  return caps.length > 0 ? Math.min(...caps) : null;
}
