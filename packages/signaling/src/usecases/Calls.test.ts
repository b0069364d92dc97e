import { describe, expect, it, vi } from 'vitest';
import { ConsultationState, EndReason, Role } from '@visita/protocol';
import {
  HARNESS_DOCTOR as doctor,
  PRESENCE_TTL_MS,
  harnessInCall as inCall,
  useCaseHarness,
} from '../../test/support/useCaseHarness.ts';
import type { Identity } from '../tokens.ts';

// The call use cases on in-memory twins, a fake SFU and a clock the test moves.
const GRACE_MS = 60_000;

const ended = (h: ReturnType<typeof useCaseHarness>, id: string) =>
  h.notify.sent.filter((s) => s.event === 'consultation:ended' && s.to === `c:${id}`).map((s) => s.payload);

describe('Calls', () => {
  it('ends a call whose media node is gone like any other: metering, audit, both sides told', async () => {
    const { h, id } = await inCall();
    h.sfu.gone.add('node-1');
    const view = await h.service.calls.hangUp(doctor, { consultationId: id });
    expect(view.state).toBe(ConsultationState.ENDED);
    expect(h.metered.filter((e) => e.consultationId === id).map((e) => e.type)).toEqual(['admitted', 'ended']);
    expect((await h.audit.list({})).map((r) => r.action)).toEqual(['checked_in', 'admitted', 'ended']);
    expect(ended(h, id)).toEqual([
      { consultationId: id, reason: EndReason.HUNG_UP, by: 'practitioner', callMs: expect.any(Number) },
    ]);
  });

  it('declines through the same path: the reason reaches the patient, nothing is metered', async () => {
    const h = useCaseHarness();
    const c = await h.service.consultations.create('pr-1', {}, h.clock.now());
    await h.service.calls.decline(doctor, { consultationId: c.id, reason: 'please call the practice' });
    expect(ended(h, c.id)).toEqual([
      { consultationId: c.id, reason: EndReason.DECLINED, by: 'practitioner', message: 'please call the practice' },
    ]);
    expect(h.metered).toEqual([]);
    expect((await h.audit.list({})).map((r) => r.action)).toEqual(['declined']);
  });

  it('ends a call both participants left (their instance died): media down when last seen, then abandoned', async () => {
    const { h, id } = await inCall();
    h.clock.advance(10_000);
    const lastSeen = h.clock.now();
    await h.presence.touch(id, Role.PATIENT, 'i1:patient', lastSeen);
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', lastSeen);
    // Their instance stops renewing: presence lapses after its TTL; the sweeper dates them from it.
    h.clock.advance(PRESENCE_TTL_MS + 1_000);
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now())).toBe(0);
    h.clock.advance(lastSeen + GRACE_MS - 1 - h.clock.now());
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now())).toBe(0);
    h.clock.advance(1);
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now())).toBeGreaterThanOrEqual(1);
    expect((await h.store.get(id))?.state).toBe(ConsultationState.ENDED);
    expect(ended(h, id)).toEqual([
      { consultationId: id, reason: EndReason.ABANDONED, by: 'system', callMs: expect.any(Number) },
    ]);
    const down = h.metered.find((e) => e.type === 'media_down');
    expect(down?.at).toBe(lastSeen);
    expect(h.sfu.rpcs.map((r) => r.method)).toEqual(['room.open', 'peer.close', 'room.close']);
  });

  it('gives an absence while Redis was out of reach its grace from Redis’s return, and dates the media down when last seen', async () => {
    const { h, id } = await inCall();
    h.clock.advance(10_000);
    const lastSeen = h.clock.now();
    await h.presence.touch(id, Role.PATIENT, 'i1:patient', lastSeen);
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', lastSeen);
    // Redis out of reach for twice the grace period; the practitioner's connection renews at once on its return.
    h.clock.advance(2 * GRACE_MS);
    const backAt = h.clock.now();
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', backAt);
    h.clock.advance(PRESENCE_TTL_MS);
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', h.clock.now());
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now(), backAt)).toBe(0);
    h.clock.advance(backAt + GRACE_MS - 1 - h.clock.now());
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', h.clock.now());
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now(), backAt)).toBe(0);
    h.clock.advance(1);
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now(), backAt)).toBe(1);
    expect(h.metered.filter((e) => e.type === 'media_down')).toMatchObject([{ role: 'patient', at: lastSeen }]);
    expect((await h.store.get(id))?.state).toBe(ConsultationState.IN_CALL);
  });

  it('writes a departure made while Redis was out of reach with its grace from Redis’s return', async () => {
    const { h, id } = await inCall();
    const goneAt = h.clock.now();
    h.clock.advance(2 * GRACE_MS);
    const backAt = h.clock.now();
    await h.presence.remove(id, Role.PATIENT, 'i1:patient');
    await h.service.calls.dropped(id, Role.PATIENT, goneAt, GRACE_MS, backAt);
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', h.clock.now());
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now(), backAt)).toBe(0);
    h.clock.advance(GRACE_MS);
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', h.clock.now());
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now(), backAt)).toBe(1);
    expect(h.metered.filter((e) => e.type === 'media_down')).toMatchObject([{ role: 'patient', at: goneAt }]);
  });

  it('keeps the call of a participant back within the grace period', async () => {
    const { h, id } = await inCall();
    const goneAt = h.clock.now();
    await h.presence.remove(id, Role.PATIENT, 'i1:patient');
    await h.service.calls.dropped(id, Role.PATIENT, goneAt, GRACE_MS);
    h.clock.advance(GRACE_MS / 2);
    await h.presence.touch(id, Role.PATIENT, 'i2:patient', h.clock.now()); // back, on another instance
    h.clock.advance(GRACE_MS / 2);
    // Their instances' heartbeats keep both present.
    await h.presence.touch(id, Role.PATIENT, 'i2:patient', h.clock.now());
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', h.clock.now());
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now())).toBe(0);
    expect((await h.store.get(id))?.state).toBe(ConsultationState.IN_CALL);
    expect(h.metered.some((e) => e.type === 'media_down')).toBe(false);
  });

  it('frees only the media of a participant gone past the grace period while the other stays', async () => {
    const { h, id } = await inCall();
    const goneAt = h.clock.now();
    await h.presence.remove(id, Role.PATIENT, 'i1:patient');
    await h.service.calls.dropped(id, Role.PATIENT, goneAt, GRACE_MS);
    h.clock.advance(GRACE_MS);
    await h.presence.touch(id, Role.PRACTITIONER, 'i1:doctor', h.clock.now());
    expect(await h.service.calls.sweep(GRACE_MS, h.clock.now())).toBe(1);
    expect((await h.store.get(id))?.state).toBe(ConsultationState.IN_CALL);
    expect(h.metered.filter((e) => e.type === 'media_down')).toMatchObject([{ role: 'patient', at: goneAt }]);
    expect(ended(h, id)).toEqual([]);
  });

  it('moves a call whose media room was lost to a node again: both sides told to rebuild, nothing ended', async () => {
    const { h, id } = await inCall();
    h.sfu.emit('roomClosed', { roomId: id, reason: 'worker_died' });
    await vi.waitFor(() => expect(h.sfu.rpcs.filter((r) => r.method === 'room.open')).toHaveLength(2));
    await vi.waitFor(() =>
      expect(h.notify.sent.filter((s) => s.event === 'consultation:admitted' && s.to === `c:${id}`)).toHaveLength(2),
    );
    expect((await h.store.get(id))?.state).toBe(ConsultationState.IN_CALL);
    expect(ended(h, id)).toEqual([]);
    expect(h.metered.map((e) => e.type)).toEqual(['admitted']);
  });

  it('ends a call whose media room was lost when no node can take it: media_lost, metered and audited', async () => {
    const { h, id } = await inCall();
    h.sfu.place = async () => {
      throw new Error('no node');
    };
    h.sfu.emit('roomClosed', { roomId: id, reason: 'worker_died' });
    await vi.waitFor(() =>
      expect(ended(h, id)).toEqual([
        { consultationId: id, reason: EndReason.MEDIA_LOST, by: 'system', callMs: expect.any(Number) },
      ]),
    );
    expect((await h.store.get(id))?.state).toBe(ConsultationState.ENDED);
    expect(h.metered.map((e) => e.type)).toEqual(['admitted', 'ended']);
    expect((await h.audit.list({})).map((r) => r.action)).toEqual(['checked_in', 'admitted', 'ended']);
  });

  it('refuses to admit a patient who is not connected, before any room is opened', async () => {
    const h = useCaseHarness();
    const c = await h.service.consultations.create('pr-1', {}, h.clock.now());
    const patient: Identity = { kind: 'patient', sub: 'pt-1', consultationId: c.id, v: 0 };
    await h.presence.touch(c.id, Role.PATIENT, 'i1:patient', h.clock.now());
    await h.service.waitingRoom.join(patient, { consultationId: c.id, displayName: 'Ada' });
    await h.presence.remove(c.id, Role.PATIENT, 'i1:patient');
    await expect(h.service.calls.admit(doctor, { consultationId: c.id })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    expect(h.sfu.rpcs).toEqual([]);
    expect((await h.store.get(c.id))?.state).toBe(ConsultationState.WAITING);
  });
});
