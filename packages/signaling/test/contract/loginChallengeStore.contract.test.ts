import { describe, expect, it } from 'vitest';
import type { LoginChallengeStore } from '../../src/store/LoginChallengeStore.ts';
import { MemoryLoginChallengeStore } from '../../src/store/MemoryLoginChallengeStore.ts';
import { RedisLoginChallengeStore } from '../../src/store/RedisLoginChallengeStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();
let n = 0;
const holder = { accountId: 'pr-1', sessionId: 'sid-1', email: 'dr@example.org' };

describe.each<[string, () => LoginChallengeStore]>([
  ['memory', () => new MemoryLoginChallengeStore()],
  ['redis', () => new RedisLoginChallengeStore(redis())],
])('LoginChallengeStore contract (%s)', (_name, make) => {
  it('counts every attempt, concurrent ones included, and returns the holder', async () => {
    const store = make();
    const id = `c${++n}`;
    await store.create(id, holder, 60_000);
    expect(await store.attempt(id)).toEqual({ ...holder, attempts: 1 });
    const counts = (await Promise.all(Array.from({ length: 8 }, () => store.attempt(id)))).map((c) => c!.attempts);
    expect(counts.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await store.attempt('unknown')).toBeNull();
  });
  it('is taken once', async () => {
    const store = make();
    const id = `c${++n}`;
    await store.create(id, holder, 60_000);
    const taken = await Promise.all([store.take(id), store.take(id), store.take(id)]);
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(await store.attempt(id)).toBeNull();
    expect(await store.take('unknown')).toBe(false);
  });
  it('expires after its TTL', async () => {
    const store = make();
    const id = `c${++n}`;
    await store.create(id, holder, 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.attempt(id)).toBeNull();
    expect(await store.take(id)).toBe(false);
  });
});
