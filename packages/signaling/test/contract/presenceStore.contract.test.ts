import { describe, expect, it } from 'vitest';
import { MemoryPresenceStore } from '../../src/store/MemoryPresenceStore.ts';
import type { PresenceStore } from '../../src/store/PresenceStore.ts';
import { RedisPresenceStore } from '../../src/store/RedisPresenceStore.ts';
import { useRedis } from '../support/useRedis.ts';

// One contract, run against the in-memory twin and against a real redis-server.
const TTL = 1_000;
const redis = useRedis();

const implementations: Array<[string, () => PresenceStore]> = [
  ['memory', () => new MemoryPresenceStore(TTL)],
  ['redis', () => new RedisPresenceStore(redis(), TTL)],
];

describe.each(implementations)('PresenceStore contract (%s)', (_name, make) => {
  let n = 0;
  const fresh = () => ({ store: make(), c: `c${Date.now()}${n++}` });

  it('is absent until touched, present until the TTL, absent after', async () => {
    const { store, c } = fresh();
    expect(await store.isPresent(c, 'patient', 0)).toBe(false);
    await store.touch(c, 'patient', 'i1:s1', 1_000);
    expect(await store.isPresent(c, 'patient', 1_000)).toBe(true);
    expect(await store.isPresent(c, 'patient', 1_000 + TTL - 1)).toBe(true);
    expect(await store.isPresent(c, 'patient', 1_000 + TTL)).toBe(false);
    expect(await store.isPresent(c, 'practitioner', 1_000)).toBe(false);
  });

  it('remembers when a role was last renewed, for a TTL after it expired (a crashed instance’s participant)', async () => {
    const { store, c } = fresh();
    expect(await store.lastSeen(c, 'patient')).toBeNull();
    await store.touch(c, 'patient', 'i1:s1', 1_000);
    await store.touch(c, 'patient', 'i2:s2', 1_400);
    expect(await store.lastSeen(c, 'patient')).toBe(1_400);
    expect(await store.isPresent(c, 'patient', 1_400 + TTL + TTL / 2)).toBe(false);
    expect(await store.lastSeen(c, 'patient')).toBe(1_400);
    expect(await store.lastSeen(c, 'practitioner')).toBeNull();
  });

  it('renews on touch and keeps roles and consultations apart', async () => {
    const { store, c } = fresh();
    await store.touch(c, 'patient', 'i1:s1', 1_000);
    await store.touch(c, 'patient', 'i1:s1', 1_500);
    expect(await store.isPresent(c, 'patient', 1_000 + TTL + 100)).toBe(true);
    expect(await store.isPresent(`${c}x`, 'patient', 1_500)).toBe(false);
  });

  it('answers for many consultations at once, as isPresent would', async () => {
    const { store, c } = fresh();
    await store.touch(`${c}a`, 'patient', 'i:1', 1_000);
    await store.touch(`${c}c`, 'patient', 'i:2', 10);
    expect(await store.presentMany([`${c}a`, `${c}b`, `${c}c`], 'patient', 1_050)).toEqual([true, false, false]);
    expect(await store.presentMany([], 'patient', 0)).toEqual([]);
  });

  it('stays present while any member is, and forgets a removed member at once', async () => {
    const { store, c } = fresh();
    await store.touch(c, 'practitioner', 'a:1', 1_000);
    await store.touch(c, 'practitioner', 'b:2', 1_000);
    await store.remove(c, 'practitioner', 'a:1');
    expect(await store.isPresent(c, 'practitioner', 1_001)).toBe(true);
    await store.remove(c, 'practitioner', 'b:2');
    expect(await store.isPresent(c, 'practitioner', 1_001)).toBe(false);
    await store.remove(c, 'practitioner', 'never-there');
  });
});
