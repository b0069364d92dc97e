import { describe, expect, it } from 'vitest';
import { Role } from '@visita/protocol';
import { useCaseHarness } from '../../test/support/useCaseHarness.ts';
import type { Identity } from '../tokens.ts';

// The waiting-room sweep on in-memory twins: each entry's presence goes through the entry machine
// (disconnect, reconnect, expire) and the queue store applies what it returns.
const GRACE_MS = 60_000;

async function waiting(names: string[]) {
  const h = useCaseHarness();
  const ids: string[] = [];
  for (const name of names) {
    const c = await h.service.consultations.create('pr-1', {}, h.clock.now());
    const patient: Identity = { kind: 'patient', sub: `pt-${name}`, consultationId: c.id, v: 0 };
    await h.presence.touch(c.id, Role.PATIENT, `i1:${name}`, h.clock.now());
    await h.service.waitingRoom.join(patient, { consultationId: c.id, displayName: name });
    h.clock.advance(1);
    ids.push(c.id);
  }
  return { h, ids };
}

describe('WaitingRoom.sweep', () => {
  it('notes an absence once, keeps the place within the grace period, and expires it after', async () => {
    const { h, ids } = await waiting(['Ada', 'Bob']);
    const [ada, bob] = ids as [string, string];
    await h.presence.remove(ada, Role.PATIENT, 'i1:Ada');
    const goneAt = h.clock.now();
    expect(await h.service.waitingRoom.sweep(GRACE_MS, goneAt)).toBe(0);
    expect(await h.queue.absences([ada, bob])).toEqual([goneAt, null]);
    h.clock.advance(GRACE_MS - 1);
    await h.presence.touch(bob, Role.PATIENT, 'i1:Bob', h.clock.now());
    expect(await h.service.waitingRoom.sweep(GRACE_MS, h.clock.now())).toBe(0);
    expect(await h.queue.absences([ada])).toEqual([goneAt]); // still dated from the first pass
    h.clock.advance(1);
    await h.presence.touch(bob, Role.PATIENT, 'i1:Bob', h.clock.now());
    expect(await h.service.waitingRoom.sweep(GRACE_MS, h.clock.now())).toBe(1);
    expect(await h.queue.ids('pr-1')).toEqual([bob]);
    expect((await h.audit.list({})).map((r) => r.action)).toEqual(['checked_in', 'checked_in', 'expired']);
  });

  it('forgets the absence of a patient who came back, who then keeps their place', async () => {
    const { h, ids } = await waiting(['Ada', 'Bob']);
    const [ada, bob] = ids as [string, string];
    await h.presence.remove(ada, Role.PATIENT, 'i1:Ada');
    await h.service.waitingRoom.sweep(GRACE_MS, h.clock.now());
    h.clock.advance(GRACE_MS / 2);
    await h.presence.touch(ada, Role.PATIENT, 'i2:Ada', h.clock.now());
    await h.presence.touch(bob, Role.PATIENT, 'i1:Bob', h.clock.now());
    await h.service.waitingRoom.sweep(GRACE_MS, h.clock.now());
    expect(await h.queue.absences([ada])).toEqual([null]);
    h.clock.advance(GRACE_MS);
    await h.presence.touch(ada, Role.PATIENT, 'i2:Ada', h.clock.now());
    await h.presence.touch(bob, Role.PATIENT, 'i1:Bob', h.clock.now());
    expect(await h.service.waitingRoom.sweep(GRACE_MS, h.clock.now())).toBe(0);
    expect(await h.queue.ids('pr-1')).toEqual([ada, bob]);
  });
});

describe('wait estimates', () => {
  it("come from the practitioner's own recent consultations once three have ended", async () => {
    const h = useCaseHarness();
    const doctor: Identity = { kind: 'practitioner', sub: 'pr-1', name: 'Dr One', role: 'practitioner', sid: 's1' };
    const estimates = async () => {
      h.notify.sent.length = 0;
      await h.service.waitingRoom.sendPositionsHere('pr-1', 1, null);
      return h.notify.sent
        .filter((s) => s.event === 'waiting:position')
        .map((s) => (s.payload as { estimatedWaitMs: number }).estimatedWaitMs);
    };
    const checkIn = async (name: string) => {
      const c = await h.service.consultations.create('pr-1', {}, h.clock.now());
      const patient: Identity = { kind: 'patient', sub: `pt-${name}`, consultationId: c.id, v: 0 };
      await h.presence.touch(c.id, Role.PATIENT, `i1:${name}`, h.clock.now());
      await h.service.waitingRoom.join(patient, { consultationId: c.id, displayName: name });
      return c.id;
    };
    // Three 4-minute consultations, each admitted and hung up.
    for (const name of ['a', 'b', 'c']) {
      const id = await checkIn(name);
      await h.service.calls.admit(doctor, { consultationId: id });
      h.clock.advance(4 * 60_000);
      await h.service.calls.hangUp(doctor, { consultationId: id });
    }
    await checkIn('d');
    await checkIn('e');
    expect(await estimates()).toEqual([0, 4 * 60_000]);
  });
});
