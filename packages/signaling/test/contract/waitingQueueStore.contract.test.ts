import { describe, expect, it } from 'vitest';
import { MemoryWaitingQueueStore } from '../../src/store/MemoryWaitingQueueStore.ts';
import { RedisWaitingQueueStore } from '../../src/store/RedisWaitingQueueStore.ts';
import type { QueueEntry, WaitingQueueStore } from '../../src/store/WaitingQueueStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

const implementations: Array<[string, () => WaitingQueueStore]> = [
  ['memory', () => new MemoryWaitingQueueStore()],
  ['redis', () => new RedisWaitingQueueStore(redis())],
];
const entry = (consultationId: string, checkedInAt: number, over: Partial<QueueEntry> = {}): QueueEntry => ({
  consultationId,
  patientName: `name-${consultationId}`,
  reason: null,
  deviceCheck: { camera: true, microphone: true },
  checkedInAt,
  ...over,
});

describe.each(implementations)('WaitingQueueStore contract (%s)', (_name, make) => {
  let n = 0;
  const fresh = () => ({ store: make(), p: `dr${Date.now()}${n++}`, c: (i: number) => `c${n}x${i}` });

  it('lists patients in check-in order', async () => {
    const { store, p, c } = fresh();
    await store.checkIn(p, entry(c(2), 200));
    await store.checkIn(p, entry(c(1), 100));
    await store.checkIn(p, entry(c(3), 300, { reason: 'fever' }));
    expect((await store.list(p)).map((e) => e.consultationId)).toEqual([c(1), c(2), c(3)]);
    expect((await store.list(p))[2]).toEqual(entry(c(3), 300, { reason: 'fever' }));
    expect(await store.list(`${p}-other`)).toEqual([]);
  });

  it('keeps the place of a patient who checks in again, with updated details', async () => {
    const { store, p, c } = fresh();
    await store.checkIn(p, entry(c(1), 100));
    await store.checkIn(p, entry(c(2), 200));
    const again = await store.checkIn(p, entry(c(1), 500, { patientName: 'renamed' }));
    expect(again.checkedInAt).toBe(100);
    expect((await store.list(p)).map((e) => [e.consultationId, e.checkedInAt, e.patientName])).toEqual([
      [c(1), 100, 'renamed'],
      [c(2), 200, `name-${c(2)}`],
    ]);
  });

  it('gives ids in order and the rank of each entry', async () => {
    const { store, p, c } = fresh();
    await store.checkIn(p, entry(c(2), 200));
    await store.checkIn(p, entry(c(1), 100));
    expect(await store.ids(p)).toEqual([c(1), c(2)]);
    expect(await store.rank(p, c(2))).toBe(1);
    expect(await store.rank(p, c(1))).toBe(0);
    expect(await store.rank(p, 'none')).toBeNull();
  });

  it('removes an entry once, and the others move up', async () => {
    const { store, p, c } = fresh();
    await store.checkIn(p, entry(c(1), 100));
    await store.checkIn(p, entry(c(2), 200));
    expect(await store.remove(p, c(1))).toBe(true);
    expect(await store.remove(p, c(1))).toBe(false);
    expect((await store.list(p)).map((e) => e.consultationId)).toEqual([c(2)]);
  });

  it('gives concurrent check-ins of one patient a single place', async () => {
    const { store, p, c } = fresh();
    await Promise.all([
      store.checkIn(p, entry(c(1), 100)),
      store.checkIn(p, entry(c(1), 101)),
      store.checkIn(p, entry(c(1), 99)),
    ]);
    expect(await store.list(p)).toHaveLength(1);
  });
});

describe.each(implementations)('WaitingQueueStore absences and sweeping (%s)', (_name, make) => {
  it('lists practitioners with someone waiting, and forgets them when their room empties', async () => {
    const store = make();
    const p = `sweep-${Date.now()}-${Math.random()}`;
    await store.checkIn(p, entry(`${p}-1`, 100));
    expect(await store.practitioners()).toContain(p);
    await store.remove(p, `${p}-1`);
    expect(await store.practitioners()).not.toContain(p);
  });

  it('notes the first time a patient was seen absent, until they are back', async () => {
    const store = make();
    const c = `abs-${Date.now()}-${Math.random()}`;
    expect(await store.markAbsent(c, 1_000)).toBe(1_000);
    expect(await store.markAbsent(c, 5_000)).toBe(1_000);
    expect(await store.clearAbsent(c)).toBe(true);
    expect(await store.clearAbsent(c)).toBe(false);
    expect(await store.markAbsent(c, 7_000)).toBe(7_000);
  });
});

describe.each(implementations)('WaitingQueueStore ranges (%s)', (_name, make) => {
  it('reads the head of the queue, a range of ids, and the count', async () => {
    const store = make();
    const p = `range-${Date.now()}-${Math.random()}`;
    for (let i = 1; i <= 5; i++) await store.checkIn(p, entry(`${p}-${i}`, i * 100));
    expect((await store.list(p, 2)).map((e) => e.consultationId)).toEqual([`${p}-1`, `${p}-2`]);
    expect(await store.ids(p, 1, 2)).toEqual([`${p}-2`, `${p}-3`]);
    expect(await store.ids(p, 3)).toEqual([`${p}-4`, `${p}-5`]);
    expect(await store.ids(p, 9, 12)).toEqual([]);
    expect(await store.count(p)).toBe(5);
    expect(await store.count(`${p}-none`)).toBe(0);
  });
});
