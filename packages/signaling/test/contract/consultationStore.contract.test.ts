import { describe, expect, it } from 'vitest';
import { EndReason } from '@visita/protocol';
import { transition, type Consultation, type ConsultationEvent } from '../../src/domain/consultation.ts';
import type { ConsultationStore } from '../../src/store/ConsultationStore.ts';
import { MemoryConsultationStore } from '../../src/store/MemoryConsultationStore.ts';
import { RedisConsultationStore } from '../../src/store/RedisConsultationStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

let n = 0;
const consultation = (over: Partial<Pick<Consultation, 'practitionerId' | 'createdAt'>> = {}): Consultation => ({
  id: `c${Date.now()}x${n++}`,
  practitionerId: 'pr-1',
  state: 'waiting',
  createdAt: 1_000 + n,
  scheduledAt: null,
  linkVersion: 0,
  ...over,
});
/** What the machine returns for `event` (the store only ever applies that). */
const after = (c: Consultation, event: ConsultationEvent, now = 5_000): Consultation => {
  const t = transition(c, event, now);
  if (!t.ok) throw new Error(t.reason);
  return t.next;
};

describe.each<[string, () => ConsultationStore]>([
  ['memory', () => new MemoryConsultationStore()],
  ['redis', () => new RedisConsultationStore(redis())],
])('ConsultationStore contract (%s)', (_name, make) => {
  it('creates once and reads back exactly, in every state', async () => {
    const store = make();
    const c: Consultation = { ...consultation(), state: 'scheduled', scheduledAt: 99_000 };
    await store.create(c);
    expect(await store.get(c.id)).toEqual(c);
    await expect(store.create(c)).rejects.toThrow(/already exists/);
    expect(await store.get('nope')).toBeNull();
    const waiting = after(c, { type: 'checkIn' });
    expect(await store.compareAndSet(c, waiting)).toEqual(waiting);
    const inCall = after(waiting, { type: 'admit', nodeId: 'n1' });
    expect(await store.compareAndSet(waiting, inCall)).toEqual(inCall);
    expect(await store.get(c.id)).toEqual(inCall);
    const ended = after(inCall, { type: 'hangUp' }, 6_000);
    expect(await store.compareAndSet(inCall, ended)).toEqual(ended);
    expect(await store.get(c.id)).toEqual({ ...ended, endReason: EndReason.HUNG_UP, admittedAt: 5_000 });
  });

  it('creates past a practitioner’s open limit never, even concurrently; an ended consultation frees its place', async () => {
    const store = make();
    const pr = `pr-open-${n}`;
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.create(consultation({ practitionerId: pr, createdAt: now }), 3)),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await store.listByPractitioner(pr, 50)).toHaveLength(3);
    // Another practitioner is not affected.
    expect(await store.create(consultation({ practitionerId: `${pr}-other`, createdAt: now }), 3)).toBe(true);
    // One of the three ends: one more may be created, not two.
    const [first] = await store.listByPractitioner(pr, 1);
    expect(await store.compareAndSet(first!, after(first!, { type: 'hangUp' }))).not.toBeNull();
    expect(await store.create(consultation({ practitionerId: pr, createdAt: now }), 3)).toBe(true);
    expect(await store.create(consultation({ practitionerId: pr, createdAt: now }), 3)).toBe(false);
    // Without a limit, as before.
    expect(await store.create(consultation({ practitionerId: pr, createdAt: now }))).toBe(true);
  });

  it('applies exactly one of concurrent transitions from the same state', async () => {
    const store = make();
    const c = consultation();
    await store.create(c);
    const results = await Promise.all([
      store.compareAndSet(c, after(c, { type: 'admit', nodeId: 'n1' })),
      store.compareAndSet(c, after(c, { type: 'admit', nodeId: 'n2' })),
      store.compareAndSet(c, after(c, { type: 'decline' })),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.find(Boolean)!;
    expect(await store.get(c.id)).toEqual(winner);
    // A stale expectation (the record moved on) writes nothing.
    expect(await store.compareAndSet(c, after(c, { type: 'hangUp' }))).toBeNull();
    expect(await store.get(c.id)).toEqual(winner);
    expect(await store.compareAndSet({ ...c, id: 'nope' }, { ...after(c, { type: 'hangUp' }), id: 'nope' })).toBeNull();
  });

  it('moves a call to another node only from the node it was read on', async () => {
    const store = make();
    const c = consultation();
    await store.create(c);
    const onN1 = after(c, { type: 'admit', nodeId: 'n1' });
    await store.compareAndSet(c, onN1);
    const onN2 = after(onN1, { type: 'moveMedia', nodeId: 'n2' });
    const [first, second] = await Promise.all([
      store.compareAndSet(onN1, onN2),
      store.compareAndSet(onN1, after(onN1, { type: 'moveMedia', nodeId: 'n3' })),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await store.get(c.id)).toEqual(first ?? second);
  });

  it('keeps a revocation made between the read and the transition', async () => {
    const store = make();
    const c = consultation();
    await store.create(c);
    expect(await store.revokeLinks(c.id)).toBe(1);
    const applied = await store.compareAndSet(c, after(c, { type: 'admit', nodeId: 'n1' }));
    expect(applied?.linkVersion).toBe(1);
    expect((await store.get(c.id))?.linkVersion).toBe(1);
  });

  it('knows whether a practitioner is in a call', async () => {
    const store = make();
    const p = `pr-${Date.now()}-${n++}`;
    const c = consultation({ practitionerId: p });
    await store.create(c);
    expect(await store.hasCallInProgress(p)).toBe(false);
    expect(await store.inCallIds()).not.toContain(c.id);
    const inCall = after(c, { type: 'admit', nodeId: 'n1' });
    await store.compareAndSet(c, inCall);
    expect(await store.hasCallInProgress(p)).toBe(true);
    expect(await store.inCallIds()).toContain(c.id);
    await store.compareAndSet(inCall, after(inCall, { type: 'abandon' }, 9));
    expect(await store.hasCallInProgress(p)).toBe(false);
    expect(await store.inCallIds()).not.toContain(c.id);
  });

  it('lists a practitioner’s consultations newest first, and keeps links and name', async () => {
    const store = make();
    const p = `pr-${Date.now()}-${n++}`;
    const older = consultation({ practitionerId: p, createdAt: 10 });
    const newer = consultation({ practitionerId: p, createdAt: 20 });
    await store.create(older);
    await store.create(newer);
    await store.create(consultation({ practitionerId: `${p}-other` }));
    expect((await store.listByPractitioner(p, 10)).map((c) => c.id)).toEqual([newer.id, older.id]);
    expect(await store.listByPractitioner(p, 1)).toHaveLength(1);
    expect(await store.revokeLinks(older.id)).toBe(1);
    expect(await store.revokeLinks(older.id)).toBe(2);
    expect((await store.get(older.id))?.linkVersion).toBe(2);
    expect(await store.getPatient(older.id)).toEqual({ name: null, reason: null, devices: null });
    await store.setPatient(older.id, 'Zoé', 'Fièvre');
    expect(await store.getPatient(older.id)).toEqual({ name: 'Zoé', reason: 'Fièvre', devices: null });
    // The device check's choice (sound only here), kept when a later check-in gives none.
    await store.setPatient(older.id, 'Zoé', 'Fièvre', { camera: false, microphone: true });
    expect((await store.getPatient(older.id)).devices).toEqual({ camera: false, microphone: true });
    await store.setPatient(older.id, 'Zoé', undefined, { camera: false, microphone: false });
    expect((await store.getPatient(older.id)).devices).toEqual({ camera: false, microphone: false });
    // A check-in that gives no reason keeps the one given before; null clears it.
    await store.setPatient(older.id, 'Zoé Roy');
    expect(await store.getPatient(older.id)).toMatchObject({ name: 'Zoé Roy', reason: 'Fièvre' });
    await store.setPatient(older.id, 'Zoé Roy', null);
    expect(await store.getPatient(older.id)).toMatchObject({ name: 'Zoé Roy', reason: null });
  });
});

describe('RedisConsultationStore reading what others wrote', () => {
  it('reads a malformed record as absent, never as a state to act on', async () => {
    const store = new RedisConsultationStore(redis());
    const id = `bad${Date.now()}`;
    const good = { id, practitionerId: 'pr-1', createdAt: '5', linkVersion: '0', scheduledAt: '', nodeId: '' };
    const cases: Array<Record<string, string>> = [
      { ...good, state: 'flying' },
      { ...good, state: 'in_call', admittedAt: '6' }, // no node
      { ...good, state: 'in_call', nodeId: 'n1', admittedAt: 'soon' },
      { ...good, state: 'ended', endedAt: '7', endReason: 'bored' },
      { ...good, state: 'scheduled' }, // no appointment
      { ...good, createdAt: 'yesterday', state: 'waiting' },
    ];
    for (const h of cases) {
      await redis().del(`visita:consultation:${id}`);
      await redis().hset(`visita:consultation:${id}`, h);
      expect(await store.get(id)).toBeNull();
    }
    await redis().del(`visita:consultation:${id}`);
    await redis().hset(`visita:consultation:${id}`, { ...good, state: 'waiting' });
    expect(await store.get(id)).toMatchObject({ id, state: 'waiting' });
  });
});
