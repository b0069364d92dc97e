import { Secret, TOTP as Totp } from 'otpauth';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, MAX_CHALLENGE_ATTEMPTS } from '@visita/protocol';
import { MemoryAccountStore, MemoryRefreshTokenStore } from '../store/MemoryAccountStore.ts';
import { MemorySessionRevocations } from '../store/MemorySessionRevocations.ts';
import { MemoryLoginChallengeStore } from '../store/MemoryLoginChallengeStore.ts';
import { TokenService } from '../tokens.ts';
import { AccountService, type LoginOutcome, type Session } from './AccountService.ts';
import { hashPassword } from './password.ts';
import { SecretBox } from './SecretBox.ts';
import { TwoFactorService } from './TwoFactorService.ts';

const keys = [{ kid: 'k1', secret: 'k1-jwt-secret-0123456789abcdefghijklmnop' }];
const PASSWORD = 'a long enough password';
const IDLE_S = 60;
let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

let now: number;
let store: MemoryAccountStore;
let twoFactor: TwoFactorService;
let service: AccountService;
let guarded: string[];
const guard = async (email: string) => {
  guarded.push(email);
  return { succeeded: async () => void guarded.push('succeeded') };
};
beforeEach(async () => {
  now = 1_800_000_000_000;
  guarded = [];
  const clock = () => now;
  store = new MemoryAccountStore();
  await store.create({
    id: 'pr-1',
    email: 'dr@example.org',
    name: 'Dr',
    role: 'practitioner',
    passwordHash,
    createdAt: 1,
  });
  twoFactor = new TwoFactorService(store, new SecretBox({ jwtKeys: keys }), clock);
  service = new AccountService(
    store,
    new MemoryRefreshTokenStore(clock),
    new TokenService(keys, 'sfu-secret-0123456789'),
    { accessS: 900, refreshS: 30 * 24 * 3600, idleS: IDLE_S },
    new MemorySessionRevocations(clock),
    { challenges: new MemoryLoginChallengeStore(clock), twoFactor },
  );
});

const session = (o: LoginOutcome): Session => {
  if (o.kind !== 'session') throw new Error('expected a session');
  return o.session;
};
const challenge = (o: LoginOutcome): string => {
  if (o.kind !== 'challenge') throw new Error('expected a challenge');
  return o.challenge;
};
const codeAt = (secret: string, ms: number) =>
  new Totp({ secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });

describe('sessions expire when unused for the idle timeout', () => {
  it('refreshes within the idle timeout, each refresh renewing it; not after it', async () => {
    const s = session(await service.login('dr@example.org', PASSWORD, 'a'));
    expect(s.idleTimeoutS).toBe(IDLE_S);
    now += (IDLE_S - 1) * 1000;
    const s2 = await service.refresh(s.refreshToken);
    now += (IDLE_S - 1) * 1000; // 118 s after login, 59 s after the last refresh
    const s3 = await service.refresh(s2.refreshToken);
    now += (IDLE_S + 1) * 1000;
    await expect(service.refresh(s3.refreshToken)).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
  });
});

describe('ending the other sessions of an account', () => {
  it('refuses their refresh and access tokens, keeps the one asking, and lets a new login in', async () => {
    const kept = session(await service.login('dr@example.org', PASSWORD, 'a'));
    const other = session(await service.login('dr@example.org', PASSWORD, 'b'));
    const refreshed = await service.refresh(other.refreshToken); // the same session, refreshed
    expect(await service.endOtherSessions('pr-1', kept.sessionId)).toEqual([other.sessionId]);
    expect(await service.isRevoked(other.sessionId)).toBe(true);
    expect(await service.isRevoked(kept.sessionId)).toBe(false);
    await expect(service.refresh(refreshed.refreshToken)).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
    // Revoked for as long as its refresh token could have lived (the idle timeout), not just an access token's life.
    now += (IDLE_S - 1) * 1000;
    expect(await service.isRevoked(other.sessionId)).toBe(true);
    await expect(service.refresh(kept.refreshToken)).resolves.toMatchObject({ sessionId: kept.sessionId });
    const again = session(await service.login('dr@example.org', PASSWORD, 'b'));
    expect(await service.isRevoked(again.sessionId)).toBe(false);
  });
});

describe('login with a second factor', () => {
  let secret: string;
  beforeEach(async () => {
    secret = (await twoFactor.setup('pr-1')).secret;
    await twoFactor.enable('pr-1', codeAt(secret, now));
    now += 30_000;
  });

  it('gives a challenge for the right password, and the session of that login for a right code, once', async () => {
    const c = challenge(await service.login('dr@example.org', PASSWORD, 'a'));
    await expect(
      service.completeLogin(c, '000000' === codeAt(secret, now) ? '111111' : '000000', guard),
    ).rejects.toMatchObject({
      code: ErrorCode.UNAUTHENTICATED,
    });
    const s = await service.completeLogin(c, codeAt(secret, now), guard);
    expect(s.practitioner.id).toBe('pr-1');
    expect(guarded).toEqual(['dr@example.org', 'dr@example.org', 'succeeded']);
    now += 30_000;
    await expect(service.completeLogin(c, codeAt(secret, now), guard)).rejects.toMatchObject({
      code: ErrorCode.UNAUTHENTICATED,
    });
    // A wrong password still gets nothing.
    await expect(service.login('dr@example.org', 'wrong password', 'a')).rejects.toMatchObject({
      code: ErrorCode.UNAUTHENTICATED,
    });
  });

  it(`takes at most ${MAX_CHALLENGE_ATTEMPTS} codes per challenge`, async () => {
    const c = challenge(await service.login('dr@example.org', PASSWORD, 'a'));
    const wrong = codeAt(secret, now) === '000000' ? '111111' : '000000';
    for (let i = 0; i < MAX_CHALLENGE_ATTEMPTS; i++)
      await expect(service.completeLogin(c, wrong, guard)).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
    await expect(service.completeLogin(c, codeAt(secret, now), guard)).rejects.toMatchObject({
      code: ErrorCode.RATE_LIMITED,
    });
    // A new login can still succeed.
    const c2 = challenge(await service.login('dr@example.org', PASSWORD, 'a'));
    await expect(service.completeLogin(c2, codeAt(secret, now), guard)).resolves.toMatchObject({
      practitioner: { id: 'pr-1' },
    });
  });

  it('expires the challenge after 5 minutes', async () => {
    const c = challenge(await service.login('dr@example.org', PASSWORD, 'a'));
    now += 5 * 60_000 + 1;
    await expect(service.completeLogin(c, codeAt(secret, now), guard)).rejects.toMatchObject({
      code: ErrorCode.UNAUTHENTICATED,
    });
  });

  it('stops at the login limits: the guard refuses before the code is checked', async () => {
    const c = challenge(await service.login('dr@example.org', PASSWORD, 'a'));
    const limited = async () => {
      throw Object.assign(new Error('limited'), { code: ErrorCode.RATE_LIMITED });
    };
    await expect(service.completeLogin(c, codeAt(secret, now), limited)).rejects.toMatchObject({
      code: ErrorCode.RATE_LIMITED,
    });
    // The code was not spent.
    await expect(service.completeLogin(c, codeAt(secret, now), guard)).resolves.toMatchObject({
      practitioner: { id: 'pr-1' },
    });
  });
});
