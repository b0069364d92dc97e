import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Secret, TOTP as Totp } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MAX_CHALLENGE_ATTEMPTS } from '@visita/protocol';
import { addAccount } from '../src/accounts/manage.ts';
import { DEMO, JWT_KID, JWT_SECRET, TestStack, testAccountStore } from './support/stack.ts';

// Practitioner two-factor authentication (TOTP + recovery codes) and the idle expiry of sessions,
// against the real stack. Codes are computed here with otpauth from the secret setup returns. Time
// is real: an account can use the codes of the previous, current and next 30-second steps (the
// ±1 window) once each, so each test uses its own account.

const cli = join(dirname(fileURLToPath(import.meta.url)), '../src/cli.ts');
const LOGIN_ATTEMPTS = 8;
let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start({
    env: {
      VISITA_IDLE_TIMEOUT_S: '60',
      VISITA_LOGIN_ATTEMPTS: String(LOGIN_ATTEMPTS),
      VISITA_LOGIN_ADDRESS_ATTEMPTS: '1000',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

type Body = { ok: boolean; code?: string; message?: string; data?: Record<string, unknown> };
const call = async (method: string, path: string, body?: unknown, token?: string) => {
  const res = await fetch(`${stack.signalingUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Body };
};
const post = (path: string, body: unknown, token?: string) => call('POST', path, body, token);
const runCli = (args: string[]) =>
  promisify(execFile)(process.execPath, [cli, ...args], {
    env: { ...process.env, VISITA_REDIS_URL: stack.redis.url, VISITA_JWT_KEYS: `${JWT_KID}:${JWT_SECRET}` },
  }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

/** The code of the time step `offset` steps from now. */
const code = (secret: string, offset = 0) =>
  new Totp({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offset * 30_000 });
/** A code valid for no step near now. */
const wrongCode = (secret: string) => {
  const near = new Set([-2, -1, 0, 1, 2].map((o) => code(secret, o)));
  return ['000000', '111111', '222222', '333333'].find((c) => !near.has(c))!;
};

let n = 0;
const PASSWORD = 'a long enough password';
/** A fresh practitioner; its email and an access token. */
async function practitioner(): Promise<{ email: string; token: string }> {
  const email = `dr${++n}-${Date.now()}@clinic.test`;
  await addAccount(testAccountStore(stack.signaling.redis), { email, name: `Dr ${n}`, password: PASSWORD });
  const login = await post('/api/login', { email, password: PASSWORD });
  return { email, token: login.body.data!['token'] as string };
}
/** A fresh practitioner with 2FA enabled (with the previous step's code, so the current and next are left for the test). */
async function enrolled(): Promise<{ email: string; token: string; secret: string; recoveryCodes: string[] }> {
  const p = await practitioner();
  const setup = await post('/api/2fa/setup', {}, p.token);
  const secret = setup.body.data!['secret'] as string;
  const enabled = await post('/api/2fa/enable', { code: code(secret, -1) }, p.token);
  expect(enabled.status).toBe(200);
  return { ...p, secret, recoveryCodes: enabled.body.data!['recoveryCodes'] as string[] };
}
async function challengeFor(email: string): Promise<string> {
  const login = await post('/api/login', { email, password: PASSWORD });
  expect(login).toMatchObject({ status: 200, body: { ok: true, data: { twoFactorRequired: true } } });
  expect(login.body.data!['token']).toBeUndefined();
  return login.body.data!['challenge'] as string;
}

describe('two-factor authentication', () => {
  it('enrolls: a pending secret and its otpauth URI, enabled by a code, 10 recovery codes once; the secret is sealed at rest', async () => {
    const { email, token } = await practitioner();
    expect(await call('GET', '/api/2fa', undefined, token)).toMatchObject({
      status: 200,
      body: { data: { enabled: false, recoveryCodesLeft: 0 } },
    });
    expect((await post('/api/2fa/enable', { code: '123456' }, token)).status).toBe(409); // nothing set up
    const setup = await post('/api/2fa/setup', {}, token);
    expect(setup.status).toBe(200);
    const secret = setup.body.data!['secret'] as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.body.data!['uri'] as string);
    expect(`${uri.protocol}//${uri.host}${decodeURIComponent(uri.pathname)}`).toBe(`otpauth://totp/Visita:${email}`);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      secret,
      issuer: 'Visita',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });

    expect(await post('/api/2fa/enable', { code: wrongCode(secret) }, token)).toMatchObject({
      status: 403,
      body: { code: ErrorCode.FORBIDDEN },
    });
    expect(await post('/api/2fa/enable', { code: 'abc' }, token)).toMatchObject({
      status: 400,
      body: { code: ErrorCode.BAD_REQUEST },
    });
    const enabled = await post('/api/2fa/enable', { code: code(secret) }, token);
    expect(enabled.status).toBe(200);
    const recoveryCodes = enabled.body.data!['recoveryCodes'] as string[];
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);

    // Never shown again: the status has no secret, a new setup is refused until disabled.
    expect(await call('GET', '/api/2fa', undefined, token)).toEqual({
      status: 200,
      body: { ok: true, data: { enabled: true, recoveryCodesLeft: 10 } },
    });
    expect(await post('/api/2fa/setup', {}, token)).toMatchObject({
      status: 409,
      body: { code: ErrorCode.INVALID_STATE },
    });
    // At rest: neither the secret nor a recovery code, in any form.
    const account = (await stack.signaling.accounts.findByEmail(email))!;
    const raw = JSON.stringify(await stack.signaling.redis.hgetall(`visita:account:${account.id}`));
    expect(raw).toContain('tfSecret');
    for (const s of [
      secret,
      secret.toLowerCase(),
      Buffer.from(secret).toString('base64'),
      ...recoveryCodes,
      ...recoveryCodes.map((c) => c.replace('-', '')),
    ]) {
      expect(raw).not.toContain(s);
    }
  });

  it('login needs the second step: a wrong code is refused, the right one opens the session, a replayed one is refused', async () => {
    const { email, secret } = await enrolled();
    const challenge = await challengeFor(email);
    expect(await post('/api/login/2fa', { challenge, code: wrongCode(secret) })).toMatchObject({
      status: 401,
      body: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect(await post('/api/login/2fa', { challenge, code: '12' })).toMatchObject({
      status: 400,
      body: { code: ErrorCode.BAD_REQUEST },
    });
    expect(await post('/api/login/2fa', { challenge: 'x', code: code(secret) })).toMatchObject({
      status: 400,
      body: { code: ErrorCode.BAD_REQUEST },
    });
    const good = code(secret);
    const session = await post('/api/login/2fa', { challenge, code: good });
    expect(session).toMatchObject({
      status: 200,
      body: { ok: true, data: { idleTimeoutS: 60, practitioner: { role: 'practitioner' } } },
    });
    const token = session.body.data!['token'] as string;
    expect((await post('/api/consultations', {}, token)).status).toBe(201);
    // The challenge is spent; the same code on a new login is a replay.
    expect(await post('/api/login/2fa', { challenge, code: code(secret, 1) })).toMatchObject({ status: 401 });
    expect(await post('/api/login/2fa', { challenge: await challengeFor(email), code: good })).toMatchObject({
      status: 401,
      body: { code: ErrorCode.UNAUTHENTICATED },
    });
  });

  it('a recovery code works once, typed in any case', async () => {
    const { email, token, recoveryCodes } = await enrolled();
    const [recovery] = recoveryCodes as [string];
    expect(
      (await post('/api/login/2fa', { challenge: await challengeFor(email), code: recovery.toUpperCase() })).status,
    ).toBe(200);
    expect(await post('/api/login/2fa', { challenge: await challengeFor(email), code: recovery })).toMatchObject({
      status: 401,
      body: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect((await call('GET', '/api/2fa', undefined, token)).body.data).toEqual({
      enabled: true,
      recoveryCodesLeft: 9,
    });
  });

  it('the challenge is no access token: REST, refresh and the Socket.IO handshake refuse it', async () => {
    const { email } = await enrolled();
    const challenge = await challengeFor(email);
    expect(await call('GET', '/api/consultations', undefined, challenge)).toMatchObject({
      status: 401,
      body: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect(await call('GET', '/api/2fa', undefined, challenge)).toMatchObject({ status: 401 });
    expect(await post('/api/refresh', { refreshToken: challenge })).toMatchObject({ status: 401 });
    const refused = await stack.connect(challenge).then(
      () => null,
      (e: Error & { data?: { code: string } }) => e,
    );
    expect(refused?.data?.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it(`a challenge takes ${MAX_CHALLENGE_ATTEMPTS} codes: the 6th is refused, even the right one`, async () => {
    const { email, secret } = await enrolled();
    const challenge = await challengeFor(email);
    for (let i = 0; i < MAX_CHALLENGE_ATTEMPTS; i++) {
      expect(await post('/api/login/2fa', { challenge, code: wrongCode(secret) })).toMatchObject({
        status: 401,
        body: { code: ErrorCode.UNAUTHENTICATED },
      });
    }
    expect(await post('/api/login/2fa', { challenge, code: code(secret) })).toMatchObject({
      status: 429,
      body: { code: ErrorCode.RATE_LIMITED },
    });
    // Logging in again gives a new challenge, and the code (unspent) works there.
    expect((await post('/api/login/2fa', { challenge: await challengeFor(email), code: code(secret) })).status).toBe(
      200,
    );
  });

  it('wrong codes count against the login limits of the email and address, across challenges', async () => {
    const { email, secret } = await enrolled();
    // The right password gives its point back at once (issue 20); each wrong code keeps one.
    const first = await challengeFor(email);
    for (let i = 0; i < 5; i++)
      expect((await post('/api/login/2fa', { challenge: first, code: wrongCode(secret) })).status).toBe(401);
    const second = await challengeFor(email);
    for (let i = 0; i < 3; i++)
      expect((await post('/api/login/2fa', { challenge: second, code: wrongCode(secret) })).status).toBe(401); // the 8th
    expect(await post('/api/login/2fa', { challenge: second, code: code(secret) })).toMatchObject({
      status: 429,
      body: { code: ErrorCode.RATE_LIMITED },
    });
    expect(await post('/api/login', { email, password: PASSWORD })).toMatchObject({
      status: 429,
      body: { code: ErrorCode.RATE_LIMITED },
    });
  });

  it('disables with a current code or a recovery code (wrong ones refused); then the password alone logs in', async () => {
    const { email, token, secret, recoveryCodes } = await enrolled();
    expect(await post('/api/2fa/disable', { code: wrongCode(secret) }, token)).toMatchObject({
      status: 403,
      body: { code: ErrorCode.FORBIDDEN },
    });
    expect(await post('/api/2fa/disable', { code: 'not a code' }, token)).toMatchObject({ status: 400 });
    expect(await post('/api/2fa/disable', { code: recoveryCodes[3] }, token)).toMatchObject({
      status: 200,
      body: { data: { enabled: false } },
    });
    expect((await call('GET', '/api/2fa', undefined, token)).body.data).toEqual({
      enabled: false,
      recoveryCodesLeft: 0,
    });
    expect((await post('/api/login', { email, password: PASSWORD })).body.data).toMatchObject({
      token: expect.any(String),
      idleTimeoutS: 60,
    });
    expect(await post('/api/2fa/disable', { code: code(secret) }, token)).toMatchObject({
      status: 409,
      body: { code: ErrorCode.INVALID_STATE },
    });
  });

  it('the CLI resets a lost phone: reset-2fa removes the second factor', async () => {
    const { email } = await enrolled();
    await challengeFor(email);
    expect(await runCli(['practitioner', 'reset-2fa', '--email', email])).toMatchObject({
      code: 0,
      out: expect.stringContaining('two-factor authentication of'),
    });
    expect((await post('/api/login', { email, password: PASSWORD })).body.data).toMatchObject({
      token: expect.any(String),
    });
    expect(await runCli(['practitioner', 'reset-2fa', '--email', email])).toMatchObject({
      code: 0,
      out: expect.stringContaining('nothing changed'),
    });
    expect(await runCli(['practitioner', 'reset-2fa', '--email', 'nobody@clinic.test'])).toMatchObject({
      code: 2,
      out: expect.stringContaining('no account'),
    });
  });
});

describe('automatic logoff after inactivity', () => {
  const refreshTtl = (refreshToken: string) =>
    stack.signaling.redis.pttl(`visita:refresh:${createHash('sha256').update(refreshToken).digest('hex')}`);

  it('a refresh token expires after VISITA_IDLE_TIMEOUT_S unused; each refresh starts the period again', async () => {
    const login = await post('/api/login', { email: DEMO.email, password: DEMO.password });
    expect(login.body.data).toMatchObject({ idleTimeoutS: 60 });
    const first = login.body.data!['refreshToken'] as string;
    const ttl = await refreshTtl(first);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000); // not the 30-day refresh TTL
    const refreshed = await post('/api/refresh', { refreshToken: first });
    expect(refreshed.body.data).toMatchObject({ idleTimeoutS: 60 });
    const second = refreshed.body.data!['refreshToken'] as string;
    expect(await refreshTtl(second)).toBeGreaterThan(55_000);
    // As if the 60 s had passed unused: the token is gone, the session cannot be refreshed.
    await stack.signaling.redis.pexpire(`visita:refresh:${createHash('sha256').update(second).digest('hex')}`, 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await post('/api/refresh', { refreshToken: second })).toMatchObject({
      status: 401,
      body: { code: ErrorCode.UNAUTHENTICATED },
    });
  });
});
