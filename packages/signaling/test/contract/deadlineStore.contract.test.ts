import { describe, expect, it } from 'vitest';
import type { DeadlineStore } from '../../src/store/DeadlineStore.ts';
import { RedisDeadlineStore } from '../../src/store/DeadlineStore.ts';
import { MemoryDeadlineStore } from '../../src/store/MemoryDeadlineStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

describe.each<[string, () => DeadlineStore]>([
  ['memory', () => new MemoryDeadlineStore()],
  ['redis', () => new RedisDeadlineStore(redis())],
])('DeadlineStore contract (%s)', (_name, make) => {
  let n = 0;
  const id = () => `c-${Date.now()}-${n++}`;

  it('hands a deadline out once it is due, and only once', async () => {
    const store = make();
    const c = id();
    await store.schedule({ consultationId: c, role: 'patient', goneAt: 1_000 }, 3_000);
    expect((await store.takeDue(2_999, 100)).filter((d) => d.consultationId === c)).toEqual([]);
    expect((await store.takeDue(3_000, 100)).filter((d) => d.consultationId === c)).toEqual([
      { consultationId: c, role: 'patient', goneAt: 1_000 },
    ]);
    expect((await store.takeDue(10_000, 100)).filter((d) => d.consultationId === c)).toEqual([]);
  });

  it('keeps one deadline per participant: a later departure moves it, scheduleIfAbsent does not', async () => {
    const store = make();
    const c = id();
    await store.schedule({ consultationId: c, role: 'patient', goneAt: 1_000 }, 3_000);
    await store.schedule({ consultationId: c, role: 'patient', goneAt: 5_000 }, 7_000);
    expect(await store.scheduleIfAbsent({ consultationId: c, role: 'patient', goneAt: 9 }, 10)).toBe(false);
    expect(await store.scheduleIfAbsent({ consultationId: c, role: 'practitioner', goneAt: 2_000 }, 4_000)).toBe(true);
    const early = (await store.takeDue(4_000, 100)).filter((d) => d.consultationId === c);
    expect(early).toEqual([{ consultationId: c, role: 'practitioner', goneAt: 2_000 }]);
    expect((await store.takeDue(7_000, 100)).filter((d) => d.consultationId === c)).toEqual([
      { consultationId: c, role: 'patient', goneAt: 5_000 },
    ]);
  });

  it('gives each due deadline to exactly one of several concurrent takers', async () => {
    const store = make();
    const c = id();
    await store.schedule({ consultationId: c, role: 'patient', goneAt: 1 }, 2);
    const takers = await Promise.all(Array.from({ length: 5 }, () => store.takeDue(100, 100)));
    expect(takers.flat().filter((d) => d.consultationId === c)).toHaveLength(1);
  });
});
