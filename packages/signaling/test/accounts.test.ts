import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@visita/protocol';
import { DEMO, JWT_KID, JWT_SECRET, TestStack } from './support/stack.ts';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../src/cli.ts');
let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start({ env: { VISITA_SOCKET_RATE_SCALE: '10' } }); // the check-in limit per link, not the socket's budget
});
afterAll(async () => {
  await stack?.stop();
});

const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${stack.signalingUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { ok: boolean; code?: string; data?: Record<string, unknown> },
  };
};
const runCli = (args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, [cli, ...args], {
    env: { ...process.env, VISITA_REDIS_URL: stack.redis.url, VISITA_JWT_KEYS: `${JWT_KID}:${JWT_SECRET}`, ...env },
  }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

describe('practitioner accounts', () => {
  it('are created with the CLI, log in, and are refused a second time or with a weak password', async () => {
    const env = { PW: 'a long enough password' };
    const created = await runCli(
      ['practitioner', 'add', '--email', 'Claire@clinic.test', '--name', 'Dr Claire', '--password-env', 'PW'],
      env,
    );
    expect(created).toMatchObject({
      code: 0,
      out: expect.stringContaining('created practitioner account claire@clinic.test'),
    });
    expect(
      await runCli(
        ['practitioner', 'add', '--email', 'claire@clinic.test', '--name', 'X', '--password-env', 'PW'],
        env,
      ),
    ).toMatchObject({ code: 2, out: expect.stringContaining('already exists') });
    expect(
      await runCli(
        ['practitioner', 'add', '--email', 'claire@clinic.test', '--name', 'X', '--password-env', 'PW', '--if-missing'],
        env,
      ),
    ).toMatchObject({ code: 0, out: expect.stringContaining('left as it is') });
    expect(
      await runCli(['practitioner', 'add', '--email', 'bob@clinic.test', '--name', 'Bob', '--password-env', 'PW'], {
        PW: 'short',
      }),
    ).toMatchObject({ code: 2, out: expect.stringContaining('at least 10 characters') });
    expect(await runCli(['practitioner', 'add', '--email', 'bob@clinic.test', '--name', 'Bob'])).toMatchObject({
      code: 2,
      out: expect.stringContaining('--password-env'),
    });
    expect(await runCli(['nonsense'])).toMatchObject({ code: 2, out: expect.stringContaining('usage') });

    const login = await post('/api/login', { email: 'claire@clinic.test', password: 'a long enough password' });
    expect(login).toMatchObject({
      status: 200,
      body: { ok: true, data: { practitioner: { name: 'Dr Claire', role: 'practitioner' } } },
    });
    expect((await post('/api/login', { email: 'claire@clinic.test', password: 'wrong password!' })).body).toMatchObject(
      {
        ok: false,
        code: ErrorCode.UNAUTHENTICATED,
      },
    );
    expect((await post('/api/login', { email: 'nobody@clinic.test', password: 'whatever it is' })).body).toMatchObject({
      ok: false,
      code: ErrorCode.UNAUTHENTICATED,
    });

    expect(
      await runCli(['practitioner', 'set-password', '--email', 'claire@clinic.test', '--password-env', 'PW'], {
        PW: 'another long password',
      }),
    ).toMatchObject({ code: 0 });
    expect((await post('/api/login', { email: 'claire@clinic.test', password: 'another long password' })).status).toBe(
      200,
    );

    // Plans are assigned per practitioner from the configured ones.
    const plans = JSON.stringify([
      { id: 'standard', pricePerMinuteCents: 100, rounding: 'per_second' },
      { id: 'small-practice', pricePerMinuteCents: 60, rounding: 'per_started_minute', includedMinutesPerMonth: 60 },
    ]);
    expect(
      await runCli(['practitioner', 'set-plan', '--email', 'claire@clinic.test', '--plan', 'small-practice'], {
        VISITA_PLANS: plans,
      }),
    ).toMatchObject({ code: 0, out: expect.stringContaining('is on plan small-practice') });
    expect(
      await runCli(['practitioner', 'set-plan', '--email', 'claire@clinic.test', '--plan', 'gold'], {
        VISITA_PLANS: plans,
      }),
    ).toMatchObject({ code: 2, out: expect.stringContaining('no plan gold') });
    expect(
      await stack.signaling.plans.of((await stack.signaling.accounts.findByEmail('claire@clinic.test'))!.id),
    ).toMatchObject({
      id: 'standard',
    });
  });

  it('refresh tokens rotate: each works once, and logout revokes', async () => {
    const first = await post('/api/login', { email: DEMO.email, password: DEMO.password });
    const r1 = first.body.data!['refreshToken'] as string;
    const second = await post('/api/refresh', { refreshToken: r1 });
    expect(second).toMatchObject({ status: 200, body: { ok: true } });
    const r2 = second.body.data!['refreshToken'] as string;
    expect(r2).not.toBe(r1);
    // The new access token works.
    const create = await fetch(`${stack.signalingUrl}/api/consultations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${second.body.data!['token'] as string}` },
    });
    expect(create.status).toBe(201);
    // Replaying the used refresh token fails.
    expect(await post('/api/refresh', { refreshToken: r1 })).toMatchObject({
      status: 401,
      body: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect((await post('/api/logout', { refreshToken: r2 })).status).toBe(200);
    expect(await post('/api/refresh', { refreshToken: r2 })).toMatchObject({ status: 401 });
  });

  it('rate-limits logins per email and address', async () => {
    const email = 'target@clinic.test';
    const codes: string[] = [];
    for (let i = 0; i < 11; i++)
      codes.push((await post('/api/login', { email, password: `guess number ${i}` })).body.code ?? 'ok');
    expect(codes.slice(0, 10).every((c) => c === ErrorCode.UNAUTHENTICATED)).toBe(true);
    expect(codes[10]).toBe(ErrorCode.RATE_LIMITED);
    expect((await post('/api/login', { email, password: 'x' })).status).toBe(429);
    // Another email is not affected.
    expect((await post('/api/login', { email: DEMO.email, password: DEMO.password })).status).toBe(200);
  });

  it('rate-limits check-ins of one patient link', async () => {
    const { consultationId, patientToken } = await stack.createConsultation(await stack.login());
    const patient = await stack.connect(patientToken);
    const results: string[] = [];
    for (let i = 0; i < 31; i++) {
      const r = await patient.request('consultation:join', { consultationId, displayName: 'P' });
      results.push(r.ok ? 'ok' : r.code);
    }
    expect(results.slice(0, 30).every((r) => r === 'ok')).toBe(true);
    expect(results[30]).toBe(ErrorCode.RATE_LIMITED);
  });
});
