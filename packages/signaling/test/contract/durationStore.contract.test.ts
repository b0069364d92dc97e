import { describe, expect, it } from 'vitest';
import { DURATION_SAMPLES } from '../../src/domain/queue.ts';
import { RedisDurationStore, type DurationStore } from '../../src/store/DurationStore.ts';
import { MemoryDurationStore } from '../../src/store/MemoryDurationStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

describe.each<[string, () => DurationStore]>([
  ['memory', () => new MemoryDurationStore()],
  ['redis', () => new RedisDurationStore(redis())],
])('DurationStore contract (%s)', (_name, make) => {
  let n = 0;
  const practitioner = () => `pr-${Date.now()}-${n++}`;

  it('keeps the newest durations first, at most DURATION_SAMPLES, apart per practitioner', async () => {
    const store = make();
    const [a, b] = [practitioner(), practitioner()];
    for (let i = 1; i <= DURATION_SAMPLES + 5; i++) await store.record(a, i * 1000.4);
    await store.record(b, 7_000);
    const recent = await store.recent(a);
    expect(recent).toHaveLength(DURATION_SAMPLES);
    expect(recent[0]).toBe(Math.round((DURATION_SAMPLES + 5) * 1000.4));
    expect(await store.recent(b)).toEqual([7_000]);
    expect(await store.recent(practitioner())).toEqual([]);
  });
});

describe('RedisDurationStore', () => {
  it('reads past what is not a duration in its list (the store is not trusted blindly)', async () => {
    const store = new RedisDurationStore(redis());
    const id = `pr-garbled-${Date.now()}`;
    await store.record(id, 60_000);
    await redis().lpush(`visita:durations:${id}`, 'NaN', '-5', '1e400', 'abc', '12.5');
    expect(await store.recent(id)).toEqual([60_000]);
  });
});
