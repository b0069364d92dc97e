import { describe, expect, it } from 'vitest';
import type { Account, AccountStore, RefreshTokenStore } from '../../src/store/AccountStore.ts';
import { MemoryAccountStore, MemoryRefreshTokenStore } from '../../src/store/MemoryAccountStore.ts';
import { RedisAccountStore, RedisRefreshTokenStore } from '../../src/store/RedisAccountStore.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

let n = 0;
const account = (over: Partial<Account> = {}): Account => {
  n++;
  return { id: `pr-${n}`, email: `dr${n}@example.org`, name: `Dr ${n}`, role: 'practitioner', passwordHash: 'scrypt$x', createdAt: 1000 + n, ...over };
};

describe.each<[string, () => AccountStore]>([
  ['memory', () => new MemoryAccountStore()],
  ['redis', () => new RedisAccountStore(redis())],
])('AccountStore contract (%s)', (_name, make) => {
  it('creates, finds by id and by email (any case), and refuses a second account with the same email', async () => {
    const store = make();
    const a = account({ email: 'Dr.House@Example.org', role: 'ops' });
    expect(await store.create(a)).toBe(true);
    expect(await store.get(a.id)).toEqual({ ...a, email: 'dr.house@example.org' });
    expect((await store.findByEmail('DR.HOUSE@example.ORG'))?.id).toBe(a.id);
    expect(await store.create({ ...account(), email: 'dr.house@example.org' })).toBe(false);
    expect(await store.findByEmail('nobody@example.org')).toBeNull();
    expect(await store.get('pr-none')).toBeNull();
  });
  it('changes a password hash', async () => {
    const store = make();
    const a = account();
    await store.create(a);
    await store.setPasswordHash(a.id, 'scrypt$new');
    expect((await store.get(a.id))?.passwordHash).toBe('scrypt$new');
  });
});

describe.each<[string, () => RefreshTokenStore]>([
  ['memory', () => new MemoryRefreshTokenStore()],
  ['redis', () => new RedisRefreshTokenStore(redis())],
])('RefreshTokenStore contract (%s)', (_name, make) => {
  it('gives a token away once', async () => {
    const store = make();
    await store.save(`h${++n}`, 'pr-1', 60_000);
    expect(await store.take(`h${n}`)).toBe('pr-1');
    expect(await store.take(`h${n}`)).toBeNull();
    expect(await store.take('never')).toBeNull();
  });
  it('forgets a token after its TTL', async () => {
    const store = make();
    await store.save(`h${++n}`, 'pr-1', 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.take(`h${n}`)).toBeNull();
  });
});
