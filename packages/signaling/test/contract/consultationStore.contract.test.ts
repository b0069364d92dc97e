import { describe, expect, it } from 'vitest';
import type { Consultation } from '../../src/domain/consultation.ts';
import type { ConsultationStore } from '../../src/store/ConsultationStore.ts';
import { MemoryConsultationStore } from '../../src/store/MemoryConsultationStore.ts';
import { RedisConsultationStore } from '../../src/store/RedisConsultationStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

let n = 0;
const consultation = (over: Partial<Consultation> = {}): Consultation => ({
  id: `c${Date.now()}x${n++}`,
  practitionerId: 'pr-1',
  state: 'waiting',
  createdAt: 1_000 + n,
  scheduledAt: null,
  linkVersion: 0,
  nodeId: null,
  admittedAt: null,
  endedAt: null,
  ...over,
});

describe.each<[string, () => ConsultationStore]>([
  ['memory', () => new MemoryConsultationStore()],
  ['redis', () => new RedisConsultationStore(redis())],
])('ConsultationStore contract (%s)', (_name, make) => {
  it('creates once and reads back exactly', async () => {
    const store = make();
    const c = consultation({ state: 'scheduled', scheduledAt: 99_000 });
    await store.create(c);
    expect(await store.get(c.id)).toEqual(c);
    await expect(store.create(c)).rejects.toThrow(/already exists/);
    expect(await store.get('nope')).toBeNull();
  });

  it('moves state only from the expected state, exactly once under concurrency', async () => {
    const store = make();
    const c = consultation();
    await store.create(c);
    const results = await Promise.all([
      store.compareAndSet(c.id, 'waiting', 'in_call', { nodeId: 'n1', admittedAt: 5 }),
      store.compareAndSet(c.id, 'waiting', 'in_call', { nodeId: 'n2', admittedAt: 6 }),
      store.compareAndSet(c.id, 'waiting', 'ended', { endedAt: 7 }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.find(Boolean)!;
    expect(await store.get(c.id)).toEqual(winner);
    expect(await store.compareAndSet(c.id, 'scheduled', 'waiting', {})).toBeNull();
    expect(await store.compareAndSet('nope', 'waiting', 'ended', {})).toBeNull();
  });

  it('knows whether a practitioner is in a call', async () => {
    const store = make();
    const p = `pr-${Date.now()}-${n++}`;
    const c = consultation({ practitionerId: p });
    await store.create(c);
    expect(await store.hasCallInProgress(p)).toBe(false);
    expect(await store.inCallIds()).not.toContain(c.id);
    await store.compareAndSet(c.id, 'waiting', 'in_call', { nodeId: 'n1' });
    expect(await store.hasCallInProgress(p)).toBe(true);
    expect(await store.inCallIds()).toContain(c.id);
    await store.compareAndSet(c.id, 'in_call', 'ended', { endedAt: 9 });
    expect(await store.hasCallInProgress(p)).toBe(false);
    expect(await store.inCallIds()).not.toContain(c.id);
  });

  it('lists a practitioner’s consultations newest first, and keeps node, links and name', async () => {
    const store = make();
    const p = `pr-${Date.now()}-${n++}`;
    const older = consultation({ practitionerId: p, createdAt: 10 });
    const newer = consultation({ practitionerId: p, createdAt: 20 });
    await store.create(older);
    await store.create(newer);
    await store.create(consultation({ practitionerId: `${p}-other` }));
    expect((await store.listByPractitioner(p, 10)).map((c) => c.id)).toEqual([newer.id, older.id]);
    expect(await store.listByPractitioner(p, 1)).toHaveLength(1);
    await store.setNode(older.id, 'sfu-9');
    expect((await store.get(older.id))?.nodeId).toBe('sfu-9');
    expect(await store.revokeLinks(older.id)).toBe(1);
    expect(await store.revokeLinks(older.id)).toBe(2);
    expect((await store.get(older.id))?.linkVersion).toBe(2);
    expect(await store.getPatientName(older.id)).toBeNull();
    await store.setPatientName(older.id, 'Zoé');
    expect(await store.getPatientName(older.id)).toBe('Zoé');
  });
});
