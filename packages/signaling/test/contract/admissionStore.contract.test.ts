import { describe, expect, it } from 'vitest';
import { RedisAdmissionStore, type AdmissionStore } from '../../src/store/AdmissionStore.ts';
import { MemoryAdmissionStore } from '../../src/store/MemoryAdmissionStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();
const by = { kind: 'practitioner', sub: 'p1', name: 'Dr. A', role: 'practitioner', sid: 's1' } as const;

describe.each<[string, () => AdmissionStore]>([
  ['memory', () => new MemoryAdmissionStore()],
  ['redis', () => new RedisAdmissionStore(redis())],
])('AdmissionStore contract (%s)', (name, make) => {
  it('keeps the first admission of a consultation, oldest first, and removes once', async () => {
    if (name === 'redis') await redis().del('visita:admissions', 'visita:admissions:data');
    const store = make();
    expect(await store.add({ consultationId: 'c2', practitionerId: 'p1', since: 2_000, by })).toBe(true);
    expect(await store.add({ consultationId: 'c1', practitionerId: 'p1', since: 1_000, by })).toBe(true);
    expect(await store.add({ consultationId: 'c2', practitionerId: 'p1', since: 5_000, by })).toBe(false);
    expect(await store.get('c2')).toEqual({ consultationId: 'c2', practitionerId: 'p1', since: 2_000, by });
    expect(await store.get('c9')).toBeNull();
    expect((await store.oldest(10)).map((a) => a.consultationId)).toEqual(['c1', 'c2']);
    expect((await store.oldest(1)).map((a) => a.consultationId)).toEqual(['c1']);
    expect(await store.count()).toBe(2);
    expect(await store.remove('c1')).toBe(true);
    expect(await store.remove('c1')).toBe(false);
    expect(await store.count()).toBe(1);
  });
});

describe('RedisAdmissionStore', () => {
  it('drops records that are garbled or filed under another id instead of trusting them', async () => {
    const r = redis();
    await r.del('visita:admissions', 'visita:admissions:data');
    const store = new RedisAdmissionStore(r);
    await store.add({ consultationId: 'good', practitionerId: 'p1', since: 3_000, by });
    await r.zadd('visita:admissions', 1_000, 'garbled', 2_000, 'elsewhere', 2_500, 'missing', 2_600, 'impostor');
    await r.hset(
      'visita:admissions:data',
      'garbled',
      '{"consultationId":',
      'impostor',
      JSON.stringify({ consultationId: 'impostor', practitionerId: 'p2', since: 1, by }),
      'elsewhere',
      JSON.stringify({ consultationId: 'good', practitionerId: 'p1', since: 1, by }),
    );
    expect(await store.get('elsewhere')).toBeNull();
    expect((await store.oldest(10)).map((a) => a.consultationId)).toEqual(['good']);
    expect(await store.count()).toBe(1);
  });
});
