// A patient's place in a practitioner's waiting room, as a pure state machine:
//   waiting(connected) --admit--> admitted        waiting --decline--> declined
//   waiting --leave--> left            waiting(disconnected, grace elapsed) --expire--> expired
//   waiting --disconnect/reconnect--> waiting (keeps its place and check-in time)
// Each state carries only its own fields; out-of-order or duplicate events are rejected with a reason.

/** How long a disconnected patient keeps their place (phone switching networks, tab in background). */
export const RECONNECT_GRACE_MS = 60_000;

export const EntryState = {
  WAITING: 'waiting',
  ADMITTED: 'admitted',
  DECLINED: 'declined',
  LEFT: 'left',
  EXPIRED: 'expired',
} as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

interface Base {
  readonly consultationId: string;
  readonly checkedInAt: number;
}
export type WaitingEntry =
  | (Base & { readonly state: 'waiting'; readonly connected: true })
  | (Base & { readonly state: 'waiting'; readonly connected: false; readonly disconnectedAt: number })
  | (Base & { readonly state: 'admitted'; readonly admittedAt: number; readonly admittedBy: string })
  | (Base & { readonly state: 'declined'; readonly declinedAt: number; readonly reason: string })
  | (Base & { readonly state: 'left'; readonly leftAt: number })
  | (Base & { readonly state: 'expired'; readonly expiredAt: number });

export type EntryEvent =
  | { readonly type: 'admit'; readonly by: string; readonly now: number }
  | { readonly type: 'decline'; readonly reason: string; readonly now: number }
  | { readonly type: 'leave'; readonly now: number }
  | { readonly type: 'disconnect'; readonly now: number }
  | { readonly type: 'reconnect'; readonly now: number }
  | { readonly type: 'expire'; readonly now: number };

export type EntryTransition = { ok: true; entry: WaitingEntry } | { ok: false; reason: string };

export function checkIn(consultationId: string, now: number): WaitingEntry {
  return { consultationId, checkedInAt: now, state: 'waiting', connected: true };
}

/**
 * A waiting entry as the stores hold it: the queue's record (check-in time), connected when the
 * patient is present, otherwise disconnected since the absence first noted (or `now`).
 */
export function waitingEntryFrom(
  queued: { consultationId: string; checkedInAt: number },
  connected: boolean,
  absentSince: number | null,
  now: number,
): Extract<WaitingEntry, { state: 'waiting' }> {
  const base = { consultationId: queued.consultationId, checkedInAt: queued.checkedInAt };
  return connected
    ? { ...base, state: 'waiting', connected: true }
    : { ...base, state: 'waiting', connected: false, disconnectedAt: absentSince ?? now };
}

export function applyEntryEvent(entry: WaitingEntry, event: EntryEvent, graceMs = RECONNECT_GRACE_MS): EntryTransition {
  if (entry.state !== 'waiting')
    return { ok: false, reason: `cannot ${event.type}: the patient is already ${entry.state}` };
  const base = { consultationId: entry.consultationId, checkedInAt: entry.checkedInAt };
  switch (event.type) {
    case 'admit':
      // As the service does: a patient who is not connected cannot be brought into a call.
      if (!entry.connected) return { ok: false, reason: 'cannot admit: the patient is not connected' };
      return { ok: true, entry: { ...base, state: 'admitted', admittedAt: event.now, admittedBy: event.by } };
    case 'decline':
      return { ok: true, entry: { ...base, state: 'declined', declinedAt: event.now, reason: event.reason } };
    case 'leave':
      return { ok: true, entry: { ...base, state: 'left', leftAt: event.now } };
    case 'disconnect':
      return entry.connected
        ? { ok: true, entry: { ...base, state: 'waiting', connected: false, disconnectedAt: event.now } }
        : { ok: false, reason: 'cannot disconnect: already disconnected' };
    case 'reconnect':
      return entry.connected
        ? { ok: false, reason: 'cannot reconnect: already connected' }
        : { ok: true, entry: { ...base, state: 'waiting', connected: true } };
    case 'expire':
      if (entry.connected) return { ok: false, reason: 'cannot expire: the patient is connected' };
      if (event.now - entry.disconnectedAt < graceMs)
        return { ok: false, reason: 'cannot expire: still within the reconnection grace period' };
      return { ok: true, entry: { ...base, state: 'expired', expiredAt: event.now } };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}
