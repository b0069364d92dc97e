import { describe, expect, it } from 'vitest';
import { RECONNECT_GRACE_MS, applyEntryEvent, checkIn, type EntryEvent, type WaitingEntry } from './waitingEntry.ts';

const t0 = 1_000_000;
const waiting = checkIn('c1', t0);
const apply = (e: WaitingEntry, ev: EntryEvent): WaitingEntry => {
  const r = applyEntryEvent(e, ev);
  if (!r.ok) throw new Error(r.reason);
  return r.entry;
};
const disconnected = apply(waiting, { type: 'disconnect', now: t0 + 10 });

describe('waiting-room entry', () => {
  it('admits, declines with a reason, or lets the patient leave', () => {
    expect(apply(waiting, { type: 'admit', by: 'dr1', now: t0 + 5 })).toEqual({
      consultationId: 'c1',
      checkedInAt: t0,
      state: 'admitted',
      admittedAt: t0 + 5,
      admittedBy: 'dr1',
    });
    expect(apply(waiting, { type: 'decline', reason: 'wrong practice', now: t0 + 5 })).toMatchObject({
      state: 'declined',
      reason: 'wrong practice',
    });
    expect(apply(waiting, { type: 'leave', now: t0 + 5 })).toMatchObject({ state: 'left', leftAt: t0 + 5 });
  });

  it('keeps the place and check-in time across a disconnection', () => {
    expect(disconnected).toMatchObject({
      state: 'waiting',
      connected: false,
      disconnectedAt: t0 + 10,
      checkedInAt: t0,
    });
    expect(apply(disconnected, { type: 'reconnect', now: t0 + 20 })).toEqual(waiting);
    // A disconnected patient cannot be admitted (the service refuses it too: nobody to bring in).
    expect(applyEntryEvent(disconnected, { type: 'admit', by: 'dr1', now: t0 + 20 })).toEqual({
      ok: false,
      reason: 'cannot admit: the patient is not connected',
    });
  });

  it('expires only a disconnected patient, and only after the grace period', () => {
    expect(applyEntryEvent(waiting, { type: 'expire', now: t0 + 10 * RECONNECT_GRACE_MS })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/connected/),
    });
    expect(applyEntryEvent(disconnected, { type: 'expire', now: t0 + 10 + RECONNECT_GRACE_MS - 1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/grace/),
    });
    expect(apply(disconnected, { type: 'expire', now: t0 + 10 + RECONNECT_GRACE_MS })).toMatchObject({
      state: 'expired',
    });
  });

  it('rejects duplicate connection events', () => {
    expect(applyEntryEvent(waiting, { type: 'reconnect', now: t0 })).toMatchObject({ ok: false });
    expect(applyEntryEvent(disconnected, { type: 'disconnect', now: t0 })).toMatchObject({ ok: false });
  });

  it('rejects every event once the entry has left the waiting state', () => {
    const finals = [
      apply(waiting, { type: 'admit', by: 'dr1', now: t0 }),
      apply(waiting, { type: 'decline', reason: 'r', now: t0 }),
      apply(waiting, { type: 'leave', now: t0 }),
      apply(disconnected, { type: 'expire', now: t0 + 10 + RECONNECT_GRACE_MS }),
    ];
    const events: EntryEvent[] = [
      { type: 'admit', by: 'dr2', now: t0 + 1 },
      { type: 'decline', reason: 'r', now: t0 + 1 },
      { type: 'leave', now: t0 + 1 },
      { type: 'disconnect', now: t0 + 1 },
      { type: 'reconnect', now: t0 + 1 },
      { type: 'expire', now: t0 + 10 * RECONNECT_GRACE_MS },
    ];
    for (const entry of finals) {
      for (const ev of events) {
        const r = applyEntryEvent(entry, ev);
        expect(r).toEqual({ ok: false, reason: `cannot ${ev.type}: the patient is already ${entry.state}` });
      }
    }
  });
});
