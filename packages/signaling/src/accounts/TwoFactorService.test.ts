import { Secret, TOTP as Totp } from 'otpauth';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@visita/protocol';
import { MemoryAccountStore } from '../store/MemoryAccountStore.ts';
import { SecretBox } from './SecretBox.ts';
import { TwoFactorService } from './TwoFactorService.ts';

const box = new SecretBox({ jwtKeys: [{ kid: 'k1', secret: 'k1-jwt-secret-0123456789abcdefghijklmnop' }] });
const codeAt = (secret: string, ms: number) =>
  new Totp({ secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });
const allow = async () => ({ succeeded: async () => undefined });

let store: MemoryAccountStore;
let now: number;
let service: TwoFactorService;
beforeEach(async () => {
  store = new MemoryAccountStore();
  await store.create({
    id: 'pr-1',
    email: 'dr@example.org',
    name: 'Dr',
    role: 'practitioner',
    passwordHash: 'x',
    createdAt: 1,
  });
  now = 1_800_000_000_000;
  service = new TwoFactorService(store, box, () => now);
});

/** Sets up and enables 2FA; the secret and the recovery codes. */
async function enroll(): Promise<{ secret: string; recoveryCodes: string[] }> {
  const { secret } = await service.setup('pr-1');
  const { recoveryCodes } = await service.enable('pr-1', codeAt(secret, now));
  return { secret, recoveryCodes };
}
const account = async () => (await store.get('pr-1'))!;
const normalized = (c: string) => c.replace('-', '');

describe('TwoFactorService', () => {
  it('enables only with a code of the pending secret, and keeps the secret sealed', async () => {
    const { secret } = await service.setup('pr-1');
    await expect(service.enable('pr-1', '000000' === codeAt(secret, now) ? '111111' : '000000')).rejects.toMatchObject({
      code: ErrorCode.FORBIDDEN,
    });
    const { recoveryCodes } = await service.enable('pr-1', codeAt(secret, now));
    expect(recoveryCodes).toHaveLength(10);
    const stored = JSON.stringify(await account());
    expect(stored).not.toContain(secret);
    for (const c of recoveryCodes) expect(stored).not.toContain(normalized(c));
    expect(await service.status('pr-1')).toEqual({ enabled: true, recoveryCodesLeft: 10 });
    await expect(service.setup('pr-1')).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE });
  });

  it('accepts a code once: the enabling code, and a login code replayed, are refused', async () => {
    const { secret } = await enroll();
    expect(await service.verify(await account(), codeAt(secret, now))).toBe(false); // the step that enabled it
    now += 30_000;
    expect(await service.verify(await account(), codeAt(secret, now))).toBe(true);
    expect(await service.verify(await account(), codeAt(secret, now))).toBe(false);
    now += 20_000; // still within the window, same step: still refused
    expect(await service.verify(await account(), codeAt(secret, now - 20_000))).toBe(false);
  });

  it('accepts each recovery code once, case and dashes aside', async () => {
    const { recoveryCodes } = await enroll();
    const [first, second] = recoveryCodes as [string, string];
    expect(await service.verify(await account(), normalized(first))).toBe(true);
    expect(await service.verify(await account(), normalized(first))).toBe(false);
    expect(await service.verify(await account(), normalized(second.toUpperCase()))).toBe(true);
    expect(await service.status('pr-1')).toEqual({ enabled: true, recoveryCodesLeft: 8 });
    expect(await service.verify(await account(), 'abcdeabcde')).toBe(false);
  });

  it('disables with a current code or a recovery code, not a wrong one', async () => {
    const { secret, recoveryCodes } = await enroll();
    await expect(service.disable('pr-1', '12345x', allow)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await service.disable('pr-1', normalized(recoveryCodes[0]!), allow);
    expect(await service.status('pr-1')).toEqual({ enabled: false, recoveryCodesLeft: 0 });
    now += 30_000;
    const again = await enroll();
    expect(again.secret).not.toBe(secret);
    now += 30_000;
    await service.disable('pr-1', codeAt(again.secret, now), allow);
    expect((await account()).twoFactor).toBeUndefined();
  });
});
