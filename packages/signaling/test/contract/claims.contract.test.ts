import { describe, expect, it } from 'vitest';
import { RedisClaims, type Claims } from '../../src/store/Claims.ts';
import { MemoryClaims } from '../../src/store/MemoryClaims.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

describe.each<[string, () => Claims]>([
  ['memory', () => new MemoryClaims()],
  ['redis', () => new RedisClaims(redis())],
])('Claims contract (%s)', (_name, make) => {
  let n = 0;
  const key = () => `k-${Date.now()}-${n++}`;

  it('gives a key to exactly one of concurrent callers, until it lapses', async () => {
    const claims = make();
    const k = key();
    const results = await Promise.all(Array.from({ length: 8 }, () => claims.claim(k, 150)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await claims.claim(k, 150)).toBe(false);
    expect(await claims.claim(key(), 150)).toBe(true); // another key is free
    await new Promise((r) => setTimeout(r, 200));
    expect(await claims.claim(k, 150)).toBe(true);
  });
});
