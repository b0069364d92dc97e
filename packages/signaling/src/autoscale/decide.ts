// The autoscaler's one decision, pure: how many SFU nodes the cluster needs for its demand, and what
// to do about it now. The autoscaler (one per cluster) reads the demand and the nodes, calls
// `decide`, and applies the result through a provider (local processes, or Kubernetes).

/** A window when the cluster keeps at least `minNodes`, e.g. flu-season weekday mornings. */
export interface PrewarmWindow {
  /** Days of the week it applies to (0 = Sunday), in the policy's time zone. */
  days: readonly number[];
  /** Minutes since midnight, [from, to). */
  fromMinute: number;
  toMinute: number;
  minNodes: number;
}

export interface ScalingPolicy {
  minNodes: number;
  maxNodes: number;
  /** Measured capacity of one node (its maxConsumers; `make bench-sfu`). */
  consumersPerNode: number;
  /** Consumers one consultation takes (2 participants × microphone and camera). */
  consumersPerCall: number;
  /**
   * Waiting patients of one practitioner that count as calls to come (see `waitingDemand`): a
   * practitioner holds one call at a time, so a longer queue only makes calls one after another.
   */
  waitingPerPractitioner: number;
  /** Spare capacity kept above the demand, as a fraction (0.25: a quarter more). */
  headroom: number;
  /** Minutes it takes a new node to carry calls: growth of the waiting room over that long counts. */
  leadMinutes: number;
  /** After a scale-out, and between two scale-ins, no scale-in for this long. */
  scaleInCooldownMs: number;
  prewarm: readonly PrewarmWindow[];
  /** Offset of the pre-warm windows' time zone from UTC, minutes (Paris in winter: 60). */
  utcOffsetMinutes: number;
}

export interface Demand {
  now: number;
  /** Consultations in a call. */
  activeCalls: number;
  /** Waiting patients that are calls to come, every waiting room together (`waitingDemand`). */
  waiting: number;
  /** Change of `waiting` per minute (positive while a surge builds). */
  waitingGrowthPerMin: number;
  /** Admissions waiting for a node with room (the practitioner already admitted). */
  admissionsWaiting?: number;
}

export interface NodeView {
  id: string;
  draining: boolean;
  /** Calls (rooms) on the node now. */
  calls: number;
  /** Asked for and not serving yet: counts as capacity on the way, never drained. */
  starting?: boolean;
  /** It can take one more call (false: full by its measured capacity). Unknown: assumed true. */
  hasRoom?: boolean;
}

export interface ClusterView {
  nodes: readonly NodeView[];
  lastScaleOutAt: number | null;
  lastScaleInAt: number | null;
}

export type Decision =
  | { action: 'none'; required: number; serving: number; reason: string }
  | { action: 'scaleOut'; required: number; serving: number; add: number; reason: string }
  | { action: 'scaleIn'; required: number; serving: number; drain: string[]; reason: string };

/** A practitioner's waiting room as the autoscaler reads it. */
export interface WaitingRoomView {
  /** Patients checked in and not admitted. */
  waiting: number;
  /** The practitioner's dashboard is open (presence, any instance): someone is there to admit them. */
  practitionerOnline: boolean;
}

/**
 * The waiting patients that count as calls to come. Only those of a practitioner who is online:
 * nobody admits the others, so they never become calls. And at most `perPractitioner` of each
 * waiting room: a practitioner admits one patient at a time, so a long queue becomes calls one
 * after another, never at once. Without this, one account with 205 patients checked in and never
 * admitted ran the cluster to its maximum, and kept it there for the cooldown (issue 20).
 */
export function waitingDemand(rooms: readonly WaitingRoomView[], perPractitioner: number): number {
  let calls = 0;
  for (const r of rooms) if (r.practitionerOnline) calls += Math.min(Math.max(0, r.waiting), perPractitioner);
  return calls;
}

/** Calls expected within the lead time: those in progress, the waiting that counts, and its growth. */
export function callsSoon(d: Demand, leadMinutes: number): number {
  return d.activeCalls + d.waiting + Math.max(0, d.waitingGrowthPerMin) * leadMinutes;
}

/** The pre-warm floor at `now`: the largest minNodes of the windows it falls in (0 if none). */
export function prewarmFloor(p: ScalingPolicy, now: number): number {
  const local = new Date(now + p.utcOffsetMinutes * 60_000);
  const day = local.getUTCDay();
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  let floor = 0;
  for (const w of p.prewarm)
    if (w.days.includes(day) && minute >= w.fromMinute && minute < w.toMinute) floor = Math.max(floor, w.minNodes);
  return floor;
}

/** Nodes the demand needs with its headroom, within [min (and pre-warm), max]. */
export function requiredNodes(p: ScalingPolicy, d: Demand): number {
  const consumers = callsSoon(d, p.leadMinutes) * p.consumersPerCall * (1 + p.headroom);
  const forDemand = Math.ceil(consumers / p.consumersPerNode);
  return Math.min(p.maxNodes, Math.max(forDemand, p.minNodes, prewarmFloor(p, d.now)));
}

/**
 * The decision: scale out at once to what the demand needs (new nodes are never late on
 * purpose); scale in one step at a time, only after the cooldown since the last scale-out and the
 * last scale-in, and only nodes without calls (a node with calls is never drained here: calls are
 * never moved for the sake of saving a node). Draining nodes do not count as serving; nodes
 * starting do (capacity on its way), and are never drained.
 */
export function decide(p: ScalingPolicy, d: Demand, c: ClusterView): Decision {
  const serving = c.nodes.filter((n) => !n.draining);
  // Admissions waiting while no node (nor one on its way) has room: one more node, whatever the
  // estimate says (calls are longer, or nodes smaller, than it assumed).
  const starved = (d.admissionsWaiting ?? 0) > 0 && !serving.some((n) => n.starting || n.hasRoom !== false);
  const required = Math.max(requiredNodes(p, d), starved ? Math.min(p.maxNodes, serving.length + 1) : 0);
  const base = { required, serving: serving.length };
  if (serving.length < required)
    return { action: 'scaleOut', ...base, add: required - serving.length, reason: 'demand above capacity' };
  if (serving.length === required) return { action: 'none', ...base, reason: 'capacity matches demand' };
  const since = (t: number | null) => (t === null ? Number.POSITIVE_INFINITY : d.now - t);
  if (since(c.lastScaleOutAt) < p.scaleInCooldownMs || since(c.lastScaleInAt) < p.scaleInCooldownMs)
    return { action: 'none', ...base, reason: 'scale-in cooldown' };
  const idle = serving.filter((n) => n.calls === 0 && !n.starting);
  if (idle.length === 0) return { action: 'none', ...base, reason: 'every spare node still has calls' };
  // One step: at most half the surplus at a time (at least one node), idle nodes only.
  const surplus = serving.length - required;
  const drain = idle.slice(0, Math.min(idle.length, Math.max(1, Math.floor(surplus / 2)))).map((n) => n.id);
  return { action: 'scaleIn', ...base, drain, reason: 'capacity above demand' };
}
