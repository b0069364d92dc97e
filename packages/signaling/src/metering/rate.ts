import type { MeteringEvent } from './events.ts';

/** Short interruptions (reconnect, SFU failover) up to this long are billed through, not dropped. */
export const MEDIA_GRACE_MS = 30_000;

export interface Interval {
  start: number;
  end: number;
}

export interface Rated {
  consultationId: string;
  practitionerId: string;
  /** Billable intervals: admitted, both parties' media up, not ended; short gaps bridged. */
  intervals: Interval[];
  billableMs: number;
  /** Ended explicitly, or bounded by the last heartbeat (every instance crashed). */
  complete: boolean;
  lastEventAt: number;
}

/**
 * Rates one consultation's events. Pure and order-independent: duplicates (same key) count once,
 * events are replayed in time order. Billable time runs while the consultation is admitted and
 * both the patient's and the practitioner's media are up, until it ends; gaps shorter than
 * `graceMs` between billable stretches are billed through; without an `ended` event the last
 * event (a heartbeat) bounds what is billed.
 */
export function rateConsultation(events: readonly MeteringEvent[], graceMs = MEDIA_GRACE_MS): Rated | null {
  const unique = new Map<string, MeteringEvent>();
  for (const e of events) if (!unique.has(e.key)) unique.set(e.key, e);
  const sorted = [...unique.values()].sort((a, b) => a.at - b.at || order(a) - order(b) || a.key.localeCompare(b.key));
  const first = sorted[0];
  if (!first) return null;

  let admitted = false;
  let ended = false;
  let endedAt = Infinity;
  const up = { patient: false, practitioner: false };
  const raw: Interval[] = [];
  let openAt: number | null = null;
  const billable = () => admitted && !ended && up.patient && up.practitioner;
  let lastEventAt = first.at;

  for (const e of sorted) {
    if (ended) break;
    lastEventAt = Math.max(lastEventAt, e.at);
    const before = billable();
    switch (e.type) {
      case 'admitted':
        admitted = true;
        break;
      case 'media_up':
        if (e.role) up[e.role] = true;
        break;
      case 'media_down':
        if (e.role) up[e.role] = false;
        break;
      case 'ended':
        ended = true;
        endedAt = e.at;
        break;
      case 'heartbeat':
        break;
      default: {
        const never: never = e.type;
        throw new Error(`unknown metering event ${String(never)}`);
      }
    }
    const after = billable();
    if (!before && after) openAt = e.at;
    if (before && !after && openAt !== null) {
      raw.push({ start: openAt, end: e.at });
      openAt = null;
    }
  }
  // Still billable at the end of the known history: bounded by the last event.
  if (openAt !== null) raw.push({ start: openAt, end: Math.min(lastEventAt, endedAt) });

  const intervals: Interval[] = [];
  for (const i of raw) {
    if (i.end <= i.start) continue;
    const last = intervals.at(-1);
    if (last && i.start - last.end < graceMs) last.end = Math.max(last.end, i.end);
    else intervals.push({ ...i });
  }
  return {
    consultationId: first.consultationId,
    practitionerId: first.practitionerId,
    intervals,
    billableMs: intervals.reduce((s, i) => s + (i.end - i.start), 0),
    complete: ended,
    lastEventAt: ended ? endedAt : lastEventAt,
  };
}

/** At the same instant: admission and media first, then heartbeats, then the end. */
function order(e: MeteringEvent): number {
  return e.type === 'ended' ? 3 : e.type === 'heartbeat' ? 2 : e.type === 'media_down' ? 0 : 1;
}
