import { describe, expect, it } from 'vitest';
import { ConsultationState, Role } from '@visita/protocol';
import { HARNESS_DOCTOR as doctor, PRESENCE_TTL_MS, useCaseHarness } from '../../test/support/useCaseHarness.ts';
import type { Identity } from '../tokens.ts';

// Admission when no media server has room: the admit waits instead of failing, both sides are
// shown it, and the call starts by itself once a node has room (in-memory twins, fake SFU).

async function waitingPatient(h: ReturnType<typeof useCaseHarness>, name = 'Ada') {
  const c = await h.service.consultations.create('pr-1', {}, h.clock.now());
  const patient: Identity = { kind: 'patient', sub: `pt-${c.id}`, consultationId: c.id, v: 0 };
  await h.presence.touch(c.id, Role.PATIENT, `i1:${c.id}`, h.clock.now());
  await h.service.waitingRoom.join(patient, { consultationId: c.id, displayName: name });
  return c.id;
}

const sentTo = (h: ReturnType<typeof useCaseHarness>, id: string, event: string) =>
  h.notify.sent.filter((s) => s.to === `c:${id}` && s.event === event).map((s) => s.payload);

describe('admission when full', () => {
  it('waits instead of failing, shows it to both sides, and starts the call once a node has room', async () => {
    const h = useCaseHarness();
    const id = await waitingPatient(h);
    h.sfu.full = true;
    const since = h.clock.now();
    const view = await h.service.calls.admit(doctor, { consultationId: id });
    expect(view.state).toBe(ConsultationState.WAITING);
    expect(view.admission).toEqual({ since, etaMs: null });
    expect(sentTo(h, id, 'consultation:updated').at(-1)).toMatchObject({ admission: { since } });
    // Admitting again changes nothing; nothing was opened on a node.
    h.clock.advance(500);
    expect((await h.service.calls.admit(doctor, { consultationId: id })).admission?.since).toBe(since);
    expect(await h.admissions.count()).toBe(1);
    expect(h.sfu.rpcs).toEqual([]);
    // Still full: the pass starts nothing and keeps it.
    expect(await h.service.calls.startPendingAdmissions()).toBe(0);
    expect(await h.admissions.count()).toBe(1);
    h.sfu.full = false;
    h.clock.advance(4_000);
    expect(await h.service.calls.startPendingAdmissions()).toBe(1);
    expect((await h.store.get(id))?.state).toBe(ConsultationState.IN_CALL);
    expect(sentTo(h, id, 'consultation:admitted')).toHaveLength(1);
    expect(await h.admissions.count()).toBe(0);
    expect(h.sfu.rpcs.map((r) => r.method)).toEqual(['room.open']);
    // Audited and metered as the practitioner's admission, when the call started.
    const admitted = (await h.audit.list({})).find((r) => r.action === 'admitted');
    expect(admitted).toMatchObject({ actorRole: 'practitioner', actorId: doctor.sub });
    expect(h.metered.find((e) => e.type === 'admitted')?.at).toBe(h.clock.now());
    expect(await h.service.calls.startPendingAdmissions()).toBe(0);
  });

  it('starts the oldest first and stops at the first refusal', async () => {
    const h = useCaseHarness();
    const [a, b] = [await waitingPatient(h, 'A'), await waitingPatient(h, 'B')];
    h.sfu.full = true;
    await h.service.calls.admit(doctor, { consultationId: b });
    h.clock.advance(10);
    await h.service.calls.admit(doctor, { consultationId: a });
    let room = 1;
    h.sfu.full = false;
    const place = h.sfu.place.bind(h.sfu);
    h.sfu.place = async () => {
      if (room-- <= 0) h.sfu.full = true;
      return place();
    };
    expect(await h.service.calls.startPendingAdmissions()).toBe(1);
    expect((await h.store.get(b))?.state).toBe(ConsultationState.IN_CALL);
    expect((await h.store.get(a))?.state).toBe(ConsultationState.WAITING);
    expect((await h.admissions.oldest(10)).map((x) => x.consultationId)).toEqual([a]);
  });

  it('drops a waiting admission when the practitioner declines, and never opens its room', async () => {
    const h = useCaseHarness();
    const id = await waitingPatient(h);
    h.sfu.full = true;
    await h.service.calls.admit(doctor, { consultationId: id });
    await h.service.calls.decline(doctor, { consultationId: id, reason: 'call the practice' });
    expect(await h.admissions.count()).toBe(0);
    h.sfu.full = false;
    expect(await h.service.calls.startPendingAdmissions()).toBe(0);
    expect((await h.store.get(id))?.state).toBe(ConsultationState.ENDED);
    expect(h.sfu.rpcs).toEqual([]);
  });

  it('waits for a patient who is briefly away, and drops the admission once their place expired', async () => {
    const h = useCaseHarness();
    const id = await waitingPatient(h);
    h.sfu.full = true;
    await h.service.calls.admit(doctor, { consultationId: id });
    h.sfu.full = false;
    h.clock.advance(PRESENCE_TTL_MS + 1); // the patient's presence lapsed
    expect(await h.service.calls.startPendingAdmissions()).toBe(0);
    expect(await h.admissions.count()).toBe(1);
    // The sweep expires their place after the grace period: the admission goes with it.
    await h.service.waitingRoom.sweep(1_000, h.clock.now());
    h.clock.advance(2_000);
    await h.service.waitingRoom.sweep(1_000, h.clock.now());
    expect(await h.queue.entry('pr-1', id)).toBeNull();
    expect(await h.service.calls.startPendingAdmissions()).toBe(0);
    expect(await h.admissions.count()).toBe(0);
    expect(h.sfu.rpcs).toEqual([]);
  });

  it('shows the autoscaler estimate when more capacity is on the way', async () => {
    const h = useCaseHarness(undefined, { capacityEta: async () => 12_000 });
    const id = await waitingPatient(h);
    h.sfu.full = true;
    expect((await h.service.calls.admit(doctor, { consultationId: id })).admission?.etaMs).toBe(12_000);
  });
});
