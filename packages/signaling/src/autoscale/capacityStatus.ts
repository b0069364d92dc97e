import type { Redis } from 'ioredis';
import { z } from 'zod';

// What the autoscaler tells the signaling instances (through Redis) about capacity on the way:
// a practitioner whose admission waits for a media server is shown "about N s" from it.

export const CAPACITY_STATUS_KEY = 'visita:autoscaler:status';
/** A status older than this is not believed (the autoscaler stopped or lost its lease). */
export const CAPACITY_STATUS_FRESH_MS = 30_000;

export const CapacityStatus = z
  .object({
    /** When it was written (the autoscaler's clock, epoch ms). */
    at: z.number().int().nonnegative(),
    /** Nodes the demand needs, serving nodes, nodes started and not serving yet. */
    desired: z.number().int().min(0).max(10_000),
    serving: z.number().int().min(0).max(10_000),
    starting: z.number().int().min(0).max(10_000),
    /** When the nodes being started are expected to carry calls (null: none being started). */
    readyAt: z.number().int().nonnegative().nullable(),
    /** The demand needs more than the maximum allowed: no more nodes are coming. */
    atMax: z.boolean(),
  })
  .strict();
export type CapacityStatus = z.infer<typeof CapacityStatus>;

export async function writeCapacityStatus(redis: Redis, status: CapacityStatus): Promise<void> {
  await redis.set(CAPACITY_STATUS_KEY, JSON.stringify(CapacityStatus.parse(status)), 'PX', CAPACITY_STATUS_FRESH_MS);
}

/** The status if it is there, well-formed and fresh; else null (not believed). */
export async function readCapacityStatus(redis: Redis, now: number): Promise<CapacityStatus | null> {
  const raw = await redis.get(CAPACITY_STATUS_KEY);
  if (raw === null || raw.length > 4_096) return null;
  try {
    const s = CapacityStatus.parse(JSON.parse(raw));
    return Math.abs(now - s.at) <= CAPACITY_STATUS_FRESH_MS ? s : null;
  } catch {
    return null;
  }
}

/**
 * How long until a node being started carries calls, from the status: null when nothing is being
 * started (no estimate: the admission waits for a call to end); at least 1 s when overdue.
 */
export function capacityEtaMs(status: CapacityStatus | null, now: number): number | null {
  if (!status || status.readyAt === null || status.starting === 0) return null;
  return Math.min(3_600_000, Math.max(1_000, status.readyAt - now));
}
