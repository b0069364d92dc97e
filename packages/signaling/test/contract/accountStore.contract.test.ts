import { describe, expect, it } from 'vitest';
import type { Account, AccountStore, RefreshTokenStore } from '../../src/store/AccountStore.ts';
import { MemoryAccountStore, MemoryRefreshTokenStore } from '../../src/store/MemoryAccountStore.ts';
import { RedisAccountStore, RedisRefreshTokenStore } from '../../src/store/RedisAccountStore.ts';
import { accountSeal } from '../../src/accounts/accountSeal.ts';
import { SecretBox } from '../../src/accounts/SecretBox.ts';
import { useRedis } from '../support/useRedis.ts';

const redis = useRedis();

let n = 0;
const account = (over: Partial<Account> = {}): Account => {
  n++;
  return {
    id: `pr-${n}`,
    email: `dr${n}@example.org`,
    name: `Dr ${n}`,
    role: 'practitioner',
    passwordHash: 'scrypt$x',
    createdAt: 1000 + n,
    ...over,
  };
};

describe.each<[string, () => AccountStore]>([
  ['memory', () => new MemoryAccountStore()],
  [
    'redis',
    () =>
      new RedisAccountStore(
        redis(),
        accountSeal(new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'contract-secret-0123456789abcdef0123' }] })),
      ),
  ],
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
  it('keeps a pending TOTP secret, then the second factor (clearing the pending one), and removes it', async () => {
    const store = make();
    const a = account();
    await store.create(a);
    await store.setPendingTotpSecret(a.id, 'v1.k.sealed-pending');
    expect(await store.get(a.id)).toMatchObject({ pendingTotpSecret: 'v1.k.sealed-pending' });
    expect((await store.get(a.id))?.twoFactor).toBeUndefined();
    await store.setTwoFactor(a.id, { secretEnc: 'v1.k.sealed', lastStep: 100, recoveryHashes: ['k:h1', 'k:h2'] });
    const enabled = await store.get(a.id);
    expect(enabled?.twoFactor).toEqual({ secretEnc: 'v1.k.sealed', lastStep: 100, recoveryHashes: ['k:h1', 'k:h2'] });
    expect(enabled?.pendingTotpSecret).toBeUndefined();
    expect(enabled).toMatchObject({ id: a.id, email: a.email, passwordHash: a.passwordHash });
    await store.setTwoFactor(a.id, null);
    expect(await store.get(a.id)).toEqual(a);
    // Unknown ids are left alone (no half-made account).
    await store.setTwoFactor('pr-none', { secretEnc: 's', lastStep: 0, recoveryHashes: [] });
    await store.setPendingTotpSecret('pr-none', 's');
    expect(await store.get('pr-none')).toBeNull();
  });
  it('accepts each TOTP step once and only later steps, one winner among concurrent requests', async () => {
    const store = make();
    const a = account();
    await store.create(a);
    expect(await store.acceptTotpStep(a.id, 5)).toBe(false); // 2FA not enabled
    await store.setTwoFactor(a.id, { secretEnc: 's', lastStep: 100, recoveryHashes: [] });
    expect(await store.acceptTotpStep(a.id, 100)).toBe(false);
    expect(await store.acceptTotpStep(a.id, 99)).toBe(false);
    const raced = await Promise.all(Array.from({ length: 10 }, () => store.acceptTotpStep(a.id, 101)));
    expect(raced.filter(Boolean)).toHaveLength(1);
    expect((await store.get(a.id))?.twoFactor?.lastStep).toBe(101);
  });
  it('spends each recovery code once, one winner among concurrent requests', async () => {
    const store = make();
    const a = account();
    await store.create(a);
    expect(await store.consumeRecoveryCode(a.id, ['k:h1'])).toBe(false);
    await store.setTwoFactor(a.id, { secretEnc: 's', lastStep: 0, recoveryHashes: ['k:h1', 'k:h2', 'k:h3'] });
    const raced = await Promise.all(
      Array.from({ length: 10 }, () => store.consumeRecoveryCode(a.id, ['old:h2', 'k:h2'])),
    );
    expect(raced.filter(Boolean)).toHaveLength(1);
    expect(await store.consumeRecoveryCode(a.id, ['k:nope'])).toBe(false);
    expect(await store.consumeRecoveryCode(a.id, [])).toBe(false);
    expect((await store.get(a.id))?.twoFactor?.recoveryHashes).toEqual(['k:h1', 'k:h3']);
    expect(await store.consumeRecoveryCode(a.id, ['k:h1'])).toBe(true);
    expect(await store.consumeRecoveryCode(a.id, ['k:h3'])).toBe(true);
    expect((await store.get(a.id))?.twoFactor).toEqual({ secretEnc: 's', lastStep: 0, recoveryHashes: [] });
  });
});

const refreshBox = new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'contract-secret-0123456789abcdef0123' }] });
describe.each<[string, () => RefreshTokenStore]>([
  ['memory', () => new MemoryRefreshTokenStore()],
  ['redis', () => new RedisRefreshTokenStore(redis(), refreshBox)],
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

describe('RedisAccountStore seals its records', () => {
  const box = new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'contract-secret-0123456789abcdef0123' }] });
  const tf = { secretEnc: 'v1.sealed-secret', lastStep: -1, recoveryHashes: ['h1'] };
  it.each([
    ['role', 'ops'],
    ['passwordHash', 'scrypt$attacker'],
    ['name', 'Someone else'],
    ['email', 'mallory@example.org'],
  ])('reads an account whose %s was changed in Redis as no account, and reports it', async (field, value) => {
    const tampered: string[] = [];
    const store = new RedisAccountStore(redis(), accountSeal(box), (id) => tampered.push(id));
    const a = account();
    await store.create(a);
    expect(await store.get(a.id)).toMatchObject({ id: a.id });
    await redis().hset(`visita:account:${a.id}`, field, value);
    expect(await store.get(a.id)).toBeNull();
    expect(await store.findByEmail(a.email)).toBeNull();
    expect(tampered).toContain(a.id);
  });

  it('refuses a record whose second factor was removed or moved, and one signed with another key', async () => {
    const store = new RedisAccountStore(redis(), accountSeal(box));
    const a = account();
    await store.create(a);
    await store.setTwoFactor(a.id, tf);
    expect((await store.get(a.id))?.twoFactor?.secretEnc).toBe(tf.secretEnc);
    await redis().hdel(`visita:account:${a.id}`, 'tfSecret');
    expect(await store.get(a.id)).toBeNull();
    const other = new RedisAccountStore(
      redis(),
      accountSeal(new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'another-secret-0123456789abcdef0123' }] })),
    );
    const b = account();
    await other.create(b);
    expect(await store.get(b.id)).toBeNull();
  });

  it('seals again on every change it makes (password, second factor), and the id stays findable by email', async () => {
    const store = new RedisAccountStore(redis(), accountSeal(box));
    const a = account({ role: 'ops' });
    await store.create(a);
    await store.setPasswordHash(a.id, 'scrypt$new');
    await store.setTwoFactor(a.id, tf);
    await store.setTwoFactor(a.id, null);
    expect(await store.get(a.id)).toMatchObject({ role: 'ops', passwordHash: 'scrypt$new' });
    expect(await store.idByEmail(a.email)).toBe(a.id);
  });

  it('never blesses a tampered record; an unsealed one is sealed by a password reset, as a practitioner', async () => {
    const store = new RedisAccountStore(redis(), accountSeal(box));
    const a = account();
    await store.create(a);
    await redis().hset(`visita:account:${a.id}`, 'role', 'ops');
    await expect(store.setPasswordHash(a.id, 'scrypt$reset')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await store.get(a.id)).toBeNull();
    // Its seal deleted as well (or a record from before sealing): sealed again, but as a practitioner.
    await redis().hdel(`visita:account:${a.id}`, 'seal');
    await store.setPasswordHash(a.id, 'scrypt$reset');
    expect(await store.get(a.id)).toMatchObject({ role: 'practitioner', passwordHash: 'scrypt$reset' });
  });
});

describe('RedisAccountStore seals the second factor’s spent codes', () => {
  const box = new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'contract-secret-0123456789abcdef0123' }] });
  const enrolled = async (tampered: string[] = []) => {
    const store = new RedisAccountStore(redis(), accountSeal(box), (id) => tampered.push(id));
    const a = account();
    await store.create(a);
    await store.setTwoFactor(a.id, { secretEnc: 's', lastStep: 10, recoveryHashes: ['k:h1', 'k:h2'] });
    return { store, a, key: `visita:account:${a.id}` };
  };

  it('refuses a record whose last time step was rewound: the used code does not pass again', async () => {
    const tampered: string[] = [];
    const { store, a, key } = await enrolled(tampered);
    expect(await store.acceptTotpStep(a.id, 11)).toBe(true);
    await redis().hset(key, 'tfStep', '10');
    expect(await store.acceptTotpStep(a.id, 11)).toBe(false);
    expect(await store.get(a.id)).toBeNull();
    expect(tampered).toContain(a.id);
  });

  it('refuses a record whose used recovery code was put back', async () => {
    const { store, a, key } = await enrolled();
    expect(await store.consumeRecoveryCode(a.id, ['k:h1'])).toBe(true);
    await redis().hset(key, 'tfRecovery', 'k:h1 k:h2');
    expect(await store.consumeRecoveryCode(a.id, ['k:h1'])).toBe(false);
    expect(await store.get(a.id)).toBeNull();
  });

  it('of two requests spending the same step, one wins', async () => {
    const { store, a } = await enrolled();
    const results = await Promise.all([12, 12, 12, 12].map((s) => store.acceptTotpStep(a.id, s)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.get(a.id))?.twoFactor?.lastStep).toBe(12);
  });

  it('seals a record of the first seal version again at once, covering its step from then on', async () => {
    const { store, a, key } = await enrolled();
    const h = await redis().hgetall(key);
    // The first version's seal: the same fields without the step and recovery codes.
    const v1 = box.hash(
      `visita/account/v1\n${JSON.stringify([h['id'], h['email'], h['name'], h['role'], h['passwordHash'], h['createdAt'], h['tfSecret']])}`,
    );
    await redis().hset(key, 'seal', v1);
    expect((await store.get(a.id))?.twoFactor?.lastStep).toBe(10);
    expect(await redis().hget(key, 'seal')).not.toBe(v1);
    await redis().hset(key, 'tfStep', '5');
    expect(await store.get(a.id)).toBeNull();
  });
});

describe('RedisRefreshTokenStore seals its records', () => {
  const box = new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'contract-secret-0123456789abcdef0123' }] });
  const tampered: number[] = [];
  const store = () => new RedisRefreshTokenStore(redis(), box, () => tampered.push(1));
  const key = (h: string) => `visita:refresh:${h}`;

  it.each<[string, (h: string, saved: string) => string]>([
    ['a plain holder written in (a session minted for any account)', () => 'pr-ops.sid-new'],
    [
      'another holder under the same seal',
      (_h, saved) => JSON.stringify({ ...JSON.parse(saved), h: 'pr-ops.sid-new' }),
    ],
    ['its expiry pushed back', (_h, saved) => JSON.stringify({ ...JSON.parse(saved), e: Date.now() + 1e9 })],
    ['not JSON', () => '{"h":'],
  ])('refuses %s, and reports it', async (_name, forge) => {
    const h = `forged-${++n}`;
    await store().save(h, 'pr-1.sid-1', 60_000);
    const saved = (await redis().get(key(h)))!;
    await redis().set(key(h), forge(h, saved), 'PX', 60_000);
    const before = tampered.length;
    expect(await store().take(h)).toBeNull();
    expect(tampered.length).toBe(before + 1);
  });

  it('refuses a record moved to another token, and one sealed with another key', async () => {
    await store().save(`m${++n}`, 'pr-1.sid-1', 60_000);
    await redis().set(key(`moved${n}`), (await redis().get(key(`m${n}`)))!);
    expect(await store().take(`moved${n}`)).toBeNull();
    const other = new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'another-secret-0123456789abcdef0123' }] });
    await new RedisRefreshTokenStore(redis(), other).save(`o${n}`, 'pr-1.sid-1', 60_000);
    expect(await store().take(`o${n}`)).toBeNull();
    // The genuine record, taken once.
    expect(await store().take(`m${n}`)).toBe('pr-1.sid-1');
  });
});
