import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION, type Ack } from '@visita/protocol';
import { MAX_SOCKETS_PER_PATIENT_LINK } from '../src/handshake.ts';
import { MAX_REFUSALS } from '../src/socketBudgets.ts';
import { attack } from './support/attackLog.ts';
import { DEMO, TestClient, TestStack, testAccountStore } from './support/stack.ts';
import { addAccount, setAccountPassword } from '../src/accounts/manage.ts';
import { hashPassword } from '../src/accounts/password.ts';
import { Autoscaler, AUTOSCALER_LEASE_KEY } from '../src/autoscale/Autoscaler.ts';
import { readCapacityStatus } from '../src/autoscale/capacityStatus.ts';
import { Lease } from '../src/autoscale/Lease.ts';
import { MetricProvider } from '../src/autoscale/MetricProvider.ts';
import { createLogger } from '../src/logger.ts';

// What a stranger on the network can send: each test is a regression test of a defect found by
// attacking `make start` (issue "Hostile input"), run against the real stack.
let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.start();
});
afterAll(async () => {
  await stack?.stop();
});

interface Reply {
  status: number;
  body: Ack<Record<string, unknown>>;
}
async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const payload: string | Uint8Array<ArrayBuffer> =
    typeof body === 'string' ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as Ack<Record<string, unknown>> };
}
const alive = async (base: string) => (await fetch(`${base}/healthz`)).status;

describe('HTTP long-polling (one unauthenticated request used to kill signaling)', () => {
  it('answers raw polling handshakes without or with bad tokens with a clean refusal, and stays up', async () => {
    const url = `${stack.signalingUrl}/socket.io/?EIO=4&transport=polling`;
    const open = await fetch(url);
    expect(open.status).toBe(200);
    const text = await open.text();
    expect(text.startsWith('0{')).toBe(true);
    const sid = (JSON.parse(text.slice(1)) as { sid: string }).sid;
    for (const connect of ['40', '40{"token":"not-a-token","protocolVersion":1}']) {
      expect((await fetch(`${url}&sid=${sid}`, { method: 'POST', body: connect })).status).toBe(200);
      const refusal = await (await fetch(`${url}&sid=${sid}`)).text();
      attack(
        'HTTP long-polling',
        `CONNECT ${connect === '40' ? 'without a token' : 'with a bad token'}`,
        /^44\{.*"code":"UNAUTHENTICATED"/.test(refusal) && (await alive(stack.signalingUrl)) === 200,
      );
      expect(refusal).toMatch(/^44\{.*"code":"UNAUTHENTICATED"/);
    }
    // Garbage on the polling endpoint: refused, never fatal.
    const unknownSid = (await fetch(`${stack.signalingUrl}/socket.io/?EIO=4&transport=polling&sid=nope`)).status;
    const badTransport = (await fetch(`${stack.signalingUrl}/socket.io/?EIO=9&transport=carrier-pigeon`)).status;
    const up = await alive(stack.signalingUrl);
    attack('HTTP long-polling', 'unknown session id', unknownSid === 400 && up === 200);
    attack('HTTP long-polling', 'unknown EIO version and transport', badTransport === 400 && up === 200);
    expect(unknownSid).toBe(400);
    expect(badTransport).toBe(400);
    expect(up).toBe(200);
  });

  it('carries a whole consultation over long-polling only', async () => {
    const doctorToken = await stack.login();
    const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
    const polling = (token: string) => {
      const socket = io(stack.signalingUrl, {
        auth: { token, protocolVersion: PROTOCOL_VERSION },
        transports: ['polling'],
        upgrade: false,
        forceNew: true,
        reconnection: false,
      });
      return new Promise<TestClient>((resolve, reject) => {
        socket.once('connect', () => resolve(new TestClient(socket as never)));
        socket.once('connect_error', reject);
      });
    };
    const [patient, doctor] = await Promise.all([polling(patientToken), polling(doctorToken)]);
    expect(patient.socket.io.engine.transport.name).toBe('polling');
    expect(await patient.request('consultation:join', { consultationId, displayName: 'Over polling' })).toMatchObject({
      ok: true,
      data: { state: 'waiting' },
    });
    const admitted = patient.next('consultation:admitted');
    expect(await doctor.request('consultation:admit', { consultationId })).toMatchObject({
      ok: true,
      data: { state: 'in_call' },
    });
    await admitted;
    await patient.produceAudio(consultationId);
    const ended = patient.next('consultation:ended');
    expect(await doctor.request('consultation:hangUp', { consultationId })).toMatchObject({
      ok: true,
      data: { state: 'ended' },
    });
    expect(await ended).toMatchObject({ reason: 'hung_up' });
    patient.socket.close();
    doctor.socket.close();
  });
});

describe('bodies a client got wrong are 4xx with a typed error, never 500', () => {
  it('413 for an oversized body and a gzip bomb, 415 for an unknown encoding, 400 for malformed JSON', async () => {
    const big = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(100_000) });
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    const cases: Array<[string, string | Uint8Array, Record<string, string>, number]> = [
      ['oversized body (100 kB)', big, {}, 413],
      ['gzip bomb (20 MB inflated)', bomb, { 'content-encoding': 'gzip' }, 413],
      ['unknown content encoding', '{}', { 'content-encoding': 'x-unknown' }, 415],
      ['malformed JSON', '{"email":', {}, 400],
      ['unknown charset', '{}', { 'content-type': 'application/json; charset=klingon' }, 415],
    ];
    for (const [name, body, headers, status] of cases) {
      const r = await post(stack.signalingUrl, '/api/login', body, headers);
      attack('request bodies', name, r.status === status && !r.body.ok && r.body.code === ErrorCode.BAD_REQUEST);
      expect([name, r]).toMatchObject([name, { status, body: { ok: false, code: ErrorCode.BAD_REQUEST } }]);
    }
    expect(await alive(stack.signalingUrl)).toBe(200);
  });
});

describe('login limits', () => {
  it('ignores a client-chosen X-Forwarded-For when no proxy is trusted', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await post(
        stack.signalingUrl,
        '/api/login',
        { email: 'spoof@clinic.test', password: `guess ${i}` },
        { 'x-forwarded-for': `203.0.113.${i}` },
      );
      codes.push(r.body.ok ? 'ok' : r.body.code);
    }
    attack(
      'login limits',
      '12 guesses, each with a made-up X-Forwarded-For',
      codes.slice(10).every((c) => c === ErrorCode.RATE_LIMITED),
    );
    expect(codes.slice(0, 10)).toEqual(Array(10).fill(ErrorCode.UNAUTHENTICATED));
    expect(codes.slice(10)).toEqual([ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
  });

  it('does not count successful logins', async () => {
    for (let i = 0; i < 15; i++) expect((await post(stack.signalingUrl, '/api/login', DEMO)).status).toBe(200);
  });
});

describe('behind a trusted proxy (X-Forwarded-For from loopback)', () => {
  let proxied: TestStack;
  beforeAll(async () => {
    proxied = await TestStack.start({
      env: { VISITA_TRUSTED_PROXIES: 'loopback', VISITA_LOGIN_ACCOUNT_ATTEMPTS: '20' },
    });
  });
  afterAll(async () => {
    await proxied?.stop();
  });
  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('limits one address trying one password on many emails', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 32; i++) {
      const r = await post(
        proxied.signalingUrl,
        '/api/login',
        { email: `user${i}@clinic.test`, password: 'Summer2026!' },
        from('198.51.100.7'),
      );
      codes.push(r.body.ok ? 'ok' : r.body.code);
    }
    attack(
      'login limits',
      'one password on 32 emails from one address',
      codes.slice(30).every((c) => c === ErrorCode.RATE_LIMITED),
    );
    expect(codes.slice(0, 30)).toEqual(Array(30).fill(ErrorCode.UNAUTHENTICATED));
    expect(codes.slice(30)).toEqual([ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
    // Another address is not affected.
    expect(
      (
        await post(
          proxied.signalingUrl,
          '/api/login',
          { email: 'user0@clinic.test', password: 'x' },
          from('198.51.100.8'),
        )
      ).body,
    ).toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
  });

  it('never locks the owner out: strangers on many addresses exhaust the account, the owner still logs in', async () => {
    const home = '192.0.2.10';
    expect((await post(proxied.signalingUrl, '/api/login', DEMO, from(home))).status).toBe(200);
    for (let i = 0; i < 22; i++)
      await post(
        proxied.signalingUrl,
        '/api/login',
        { email: DEMO.email, password: `wrong ${i}` },
        from(`203.0.113.${i}`),
      );
    // A new address, even with the right password, may not try any more...
    const stranger = (await post(proxied.signalingUrl, '/api/login', DEMO, from('203.0.113.200'))).body;
    attack(
      'login limits',
      'guessing one account from 22 addresses',
      !stranger.ok && stranger.code === ErrorCode.RATE_LIMITED,
    );
    expect(stranger).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    // ...but the owner, from where they logged in before, can.
    expect((await post(proxied.signalingUrl, '/api/login', DEMO, from(home))).status).toBe(200);
  });

  it('bounds password hashing under a flood: few hashes, typed refusals, the owner still gets in', async () => {
    const checksBefore = proxied.signaling.accounts.passwordChecks;
    const flood = Array.from({ length: 200 }, () =>
      post(
        proxied.signalingUrl,
        '/api/login',
        { email: 'flood@clinic.test', password: 'wrong password' },
        from('198.51.100.99'),
      ),
    );
    const owner = post(proxied.signalingUrl, '/api/login', DEMO, from('192.0.2.10'));
    const results = await Promise.all(flood);
    const statuses = results.map((r) => r.status);
    attack(
      'login limits',
      '200 concurrent guesses (hashing flood)',
      statuses.filter((s) => s === 429).length >= 190 && proxied.signaling.accounts.passwordChecks - checksBefore <= 11,
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(190);
    expect(statuses.every((s) => s === 429 || s === 401)).toBe(true);
    expect((await owner).status).toBe(200);
    // At most the per-(email, address) limit was hashed for the flood (+1: the owner).
    expect(proxied.signaling.accounts.passwordChecks - checksBefore).toBeLessThanOrEqual(11);
  });

  it('keeps the owner first in line while strangers from 100 addresses flood every slot', async () => {
    const flood = Array.from({ length: 100 }, (_, i) =>
      post(
        proxied.signalingUrl,
        '/api/login',
        { email: `f${i}@clinic.test`, password: 'wrong password' },
        from(`100.64.${i >> 8}.${i & 255}`),
      ),
    );
    const owner = post(proxied.signalingUrl, '/api/login', DEMO, from('192.0.2.10'));
    const statuses = (await Promise.all(flood)).map((r) => r.status);
    const ownerStatus = (await owner).status;
    attack(
      'login limits',
      'flood from 100 addresses to crowd out the owner',
      statuses.some((s) => s === 429) && ownerStatus === 200,
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(ownerStatus).toBe(200);
  });
});

describe('sessions and links', () => {
  it('logout closes the session’s sockets and refuses its access token until it expires', async () => {
    const login = await post(stack.signalingUrl, '/api/login', DEMO);
    const { token, refreshToken } = (login.body as unknown as { data: { token: string; refreshToken: string } }).data;
    const other = await stack.login(); // another session of the same account stays
    const client = await stack.connect(token);
    const otherClient = await stack.connect(other);
    const closed = new Promise((r) => client.socket.once('disconnect', r));
    expect((await post(stack.signalingUrl, '/api/logout', { refreshToken })).status).toBe(200);
    await closed;
    const res = await fetch(`${stack.signalingUrl}/api/consultations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    attack('sessions and links', 'logged-out access token on the API', res.status === 401);
    expect(res.status).toBe(401);
    const socketOutcome = await stack.connect(token).then(
      () => 'connected',
      (e: { data?: { code?: string } }) => e.data?.code,
    );
    attack('sessions and links', 'logged-out access token on a socket', socketOutcome === ErrorCode.UNAUTHENTICATED);
    expect(socketOutcome).toBe(ErrorCode.UNAUTHENTICATED);
    expect(otherClient.socket.connected).toBe(true);
    expect(
      (await fetch(`${stack.signalingUrl}/api/consultations`, { headers: { authorization: `Bearer ${other}` } }))
        .status,
    ).toBe(200);
  });

  it('does not give a revoked link its session back on reconnection, nor anything said after', async () => {
    const doctorToken = await stack.login();
    const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
    const doctor = await stack.connect(doctorToken);
    const socket: Socket = io(stack.signalingUrl, {
      auth: { token: patientToken, protocolVersion: PROTOCOL_VERSION },
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 300,
      reconnectionAttempts: 3,
    });
    const patient = new TestClient(socket as never);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await patient.request('consultation:join', { consultationId, displayName: 'Revoked soon' });
    const heard: string[] = [];
    socket.onAny((event) => heard.push(event));
    socket.io.engine.close(); // the network drops: the client will try to recover its session
    socket.auth = { token: 'not-a-token', protocolVersion: PROTOCOL_VERSION };
    const refused = new Promise<Error & { data?: { code?: string } }>((r) => socket.once('connect_error', r));
    expect(
      (
        await fetch(`${stack.signalingUrl}/api/consultations/${consultationId}/revoke`, {
          method: 'POST',
          headers: { authorization: `Bearer ${doctorToken}` },
        })
      ).status,
    ).toBe(200);
    await doctor.request('waiting:message', { consultationId, text: 'after revocation' });
    expect((await refused).data?.code).toBe(ErrorCode.UNAUTHENTICATED);
    // Even with the (revoked) original token, the session does not come back.
    socket.auth = { token: patientToken, protocolVersion: PROTOCOL_VERSION };
    const refusedAgain = new Promise<Error & { data?: { code?: string } }>((r) => socket.once('connect_error', r));
    socket.connect();
    const again = await refusedAgain;
    socket.close();
    attack(
      'sessions and links',
      'revoked link recovering its session',
      again.message === 'this link was revoked' && heard.length === 0,
    );
    expect(again.message).toBe('this link was revoked');
    expect(heard).toEqual([]);
  });

  it('keeps one active patient session per link: the newer takes over, the older is told and let go', async () => {
    const doctorToken = await stack.login();
    const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
    const doctor = await stack.connect(doctorToken);
    await doctor.request('consultation:join', { consultationId });
    const phone = await stack.connect(patientToken);
    await phone.request('consultation:join', { consultationId, displayName: 'Phone' });
    const admitted = phone.next('consultation:admitted');
    await doctor.request('consultation:admit', { consultationId });
    await admitted;
    await phone.produceAudio(consultationId);
    const replaced = phone.next('session:replaced');
    const phoneGone = new Promise((r) => phone.socket.once('disconnect', r));
    const laptop = await stack.connect(patientToken);
    expect(await laptop.request('consultation:join', { consultationId, displayName: 'Laptop' })).toMatchObject({
      ok: true,
      data: { state: 'in_call' },
    });
    expect(await replaced).toEqual({ consultationId });
    await phoneGone;
    // The call goes on with the laptop, whose media replaces the phone's on the node.
    await laptop.produceAudio(consultationId);
    const room = stack.node.handlers['room.get']({ roomId: consultationId });
    const producers = (await room).peers.find((p) => p.peerId === 'patient')?.producers;
    attack(
      'sessions and links',
      'a second device on one patient link',
      producers?.length === 1 && !phone.socket.connected,
    );
    expect(producers).toHaveLength(1);
    expect(laptop.socket.connected).toBe(true);
    await doctor.request('consultation:hangUp', { consultationId });
  });
});

describe('per-socket budgets and caps', () => {
  it('refuses a chat flood with RATE_LIMITED, then disconnects the flooder; others are unaffected', async () => {
    const doctorToken = await stack.login();
    const { consultationId, patientToken } = await stack.createConsultation(doctorToken);
    const doctor = await stack.connect(doctorToken);
    await doctor.request('consultation:join', { consultationId });
    const patient = await stack.connect(patientToken);
    await patient.request('consultation:join', { consultationId, displayName: 'Flooder' });
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => patient.request('chat:send', { consultationId, text: 'spam' })),
    );
    const accepted = burst.filter((r) => r.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThanOrEqual(11);
    expect(burst.filter((r) => !r.ok && r.code === ErrorCode.RATE_LIMITED).length).toBe(20 - accepted);
    // Going on past MAX_REFUSALS refusals: disconnected (what was in flight is never answered).
    const gone = new Promise((r) => patient.socket.once('disconnect', r));
    const flood = await Promise.all(
      Array.from({ length: 5000 }, () =>
        patient.request('chat:send', { consultationId, text: 'spam' }).catch(() => null),
      ),
    );
    expect(flood.filter((r) => r && !r.ok && r.code === ErrorCode.RATE_LIMITED).length).toBeGreaterThanOrEqual(
      MAX_REFUSALS - 20,
    );
    expect(flood.filter((r) => r?.ok).length).toBeLessThanOrEqual(1);
    await gone;
    attack(
      'per-socket budgets',
      'chat flood (5,020 messages)',
      accepted <= 11 && flood.filter((r) => r?.ok).length <= 1 && !patient.socket.connected,
    );
    // The practitioner still chats, and the history comes in bounded pages.
    expect(await doctor.request('chat:send', { consultationId, text: 'still here' })).toMatchObject({ ok: true });
    const page = await doctor.request('chat:history', { consultationId });
    expect(page.ok && page.data.messages.length).toBeLessThanOrEqual(50);
    expect(page.ok && page.data.messages.at(-1)?.text).toBe('still here');
    const oversized = await doctor.request('chat:history', { consultationId, limit: 500 } as never);
    attack('per-socket budgets', 'chat history page of 500', !oversized.ok && oversized.code === ErrorCode.BAD_REQUEST);
    expect(oversized).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST });
  });

  it('caps the sockets one patient link may open', async () => {
    const { patientToken } = await stack.createConsultation(await stack.login());
    const held: TestClient[] = [];
    for (let i = 0; i < MAX_SOCKETS_PER_PATIENT_LINK; i++) held.push(await stack.connect(patientToken));
    const extra = await stack.connect(patientToken).then(
      () => 'connected',
      (e: { data?: { code?: string } }) => e.data?.code,
    );
    attack(
      'per-socket budgets',
      `socket ${MAX_SOCKETS_PER_PATIENT_LINK + 1} on one patient link`,
      extra === ErrorCode.RATE_LIMITED,
    );
    expect(extra).toBe(ErrorCode.RATE_LIMITED);
    held[0]!.socket.close();
    await new Promise((r) => setTimeout(r, 200));
    const again = await stack.connect(patientToken);
    expect(again.socket.connected).toBe(true);
  });
});

describe('Redis contents are not trusted', () => {
  it('refuses an account whose record was changed in Redis: a role written in, a password hash replaced', async () => {
    const redis = new Redis(stack.redis.url);
    try {
      const store = testAccountStore(redis);
      const victim = await addAccount(store, {
        email: 'victim@clinic.test',
        name: 'Dr Victim',
        password: 'the real password 1',
      });
      const login = (password: string) =>
        post(
          stack.signalingUrl,
          '/api/login',
          { email: 'victim@clinic.test', password },
          { 'x-forwarded-for': '1.2.3.4' },
        );
      expect((await login('the real password 1')).status).toBe(200);

      await redis.hset(`visita:account:${victim.id}`, 'role', 'ops');
      const asOps = await login('the real password 1');
      attack('Redis tampering', 'role ops written into an account', asOps.status === 401);
      expect(asOps).toMatchObject({ status: 401, body: { code: ErrorCode.UNAUTHENTICATED } });

      await redis.hset(
        `visita:account:${victim.id}`,
        'role',
        'practitioner',
        'passwordHash',
        await hashPassword('the attacker password'),
      );
      const asAttacker = await login('the attacker password');
      attack('Redis tampering', 'password hash replaced', asAttacker.status === 401);
      expect(asAttacker.status).toBe(401);

      // An administrator's password reset does not bless the tampered record.
      await expect(setAccountPassword(store, 'victim@clinic.test', 'a new real password')).rejects.toMatchObject({
        code: ErrorCode.INVALID_STATE,
      });
      expect((await login('a new real password')).status).toBe(401);
    } finally {
      redis.disconnect();
    }
  });
});

describe('one account against the cluster (issue 20)', () => {
  /** A practitioner of their own (the limits are per account), logged in; returns the access token. */
  async function practitioner(on: TestStack, email: string): Promise<string> {
    const redis = new Redis(on.redis.url);
    try {
      await addAccount(testAccountStore(redis), { email, name: 'Dr Burst', password: 'burst password 123' });
    } finally {
      redis.disconnect();
    }
    return on.loginAs(email, 'burst password 123');
  }
  const create = (on: TestStack, token: string) => post(on.signalingUrl, '/api/consultations', {}, bearer(token));
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('creates consultations only as fast as allowed, and patients checked in never admitted do not scale the cluster', async () => {
    const token = await practitioner(stack, 'burst@clinic.test');
    // As fast as allowed: VISITA_CONSULTATION_RATE (100 an hour by default), then RATE_LIMITED with Retry-After.
    const created: Array<{ consultationId: string; patientToken: string }> = [];
    let refused: Response | null = null;
    for (let i = 0; i < 205 && !refused; i++) {
      const res = await fetch(`${stack.signalingUrl}/api/consultations`, { method: 'POST', headers: bearer(token) });
      const body = (await res.json()) as Ack<{ consultationId: string; patientToken: string }>;
      if (body.ok) created.push(body.data);
      else refused = Object.assign(res, { code: body.code });
    }
    const code = (refused as (Response & { code?: string }) | null)?.code;
    attack('autoscaler demand', '205 consultations created at once by one account', created.length === 100);
    expect(created).toHaveLength(100);
    expect(refused?.status).toBe(429);
    expect(code).toBe(ErrorCode.RATE_LIMITED);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(3_000); // the hour's window
    // Another account is not affected.
    expect((await create(stack, await stack.login())).status).toBe(201);

    // The real autoscaler (metric provider, as on Kubernetes) against this Redis, with the stack's
    // node declared small (40 consumers: 8 calls with headroom): before issue 20, 100 waiting
    // patients asked for the maximum of 8 nodes within a tick and kept them for the cooldown.
    const redis = new Redis(stack.redis.url);
    const autoscaler = new Autoscaler({
      redis,
      lease: new Lease(redis, AUTOSCALER_LEASE_KEY, 'hostile', 3_000),
      provider: new MetricProvider(),
      nodes: async () => (await stack.signaling.sfu.nodes()).map((n) => ({ ...n, maxConsumers: 40 })),
      policy: {
        minNodes: 1,
        maxNodes: 8,
        consumersPerNode: 40,
        consumersPerCall: 4,
        waitingPerPractitioner: 2,
        headroom: 0.25,
        leadMinutes: 1,
        scaleInCooldownMs: 600_000,
        prewarm: [],
        utcOffsetMinutes: 0,
      },
      growthWindowMs: 60_000,
      log: createLogger('silent'),
    });
    // What the other tests left waiting (their practitioners online): the baseline.
    const before = await autoscaler.tick();
    if (!before) throw new Error('the autoscaler does not lead');
    // A patient checked in to each, never admitted: the practitioner is offline (no dashboard).
    const patients: TestClient[] = [];
    for (let i = 0; i < created.length; i += 20)
      patients.push(
        ...(await Promise.all(
          created.slice(i, i + 20).map(async (c) => {
            const p = await stack.connect(c.patientToken);
            const joined = await p.request('consultation:join', { consultationId: c.consultationId, displayName: 'P' });
            if (!joined.ok) throw new Error(`check-in refused: ${joined.code}`);
            return p;
          }),
        )),
      );
    try {
      const offline = await autoscaler.tick();
      const offlineStatus = await readCapacityStatus(redis, Date.now());
      attack(
        'autoscaler demand',
        '100 patients waiting for an offline practitioner',
        offline?.decision.required === before.decision.required && offlineStatus?.desired === 1,
      );
      expect(before.decision).toMatchObject({ action: 'none', required: 1 });
      expect(offline).toMatchObject({
        waitingAll: before.waitingAll + 100,
        waiting: before.waiting,
        decision: { action: 'none', required: 1 },
      });
      expect(offlineStatus).toMatchObject({ desired: 1, atMax: false });
      // The practitioner comes online and admits nobody: two calls' worth at most, still one node.
      const dashboard = await stack.connect(token);
      await dashboard.request('queue:watch', {});
      const online = await autoscaler.tick();
      attack(
        'autoscaler demand',
        '100 patients waiting for a practitioner online who never admits',
        online?.decision.required === 1,
      );
      expect(online).toMatchObject({
        waitingAll: before.waitingAll + 100,
        waiting: before.waiting + 2,
        decision: { action: 'none', required: 1 },
      });
      // Ten practitioners online with a patient each are ten calls to come: that still scales (2 nodes).
      const doctors: TestClient[] = [];
      for (let i = 0; i < 10; i++) {
        const t = await practitioner(stack, `busy${i}@clinic.test`); // one login at a time per address
        const c = (await create(stack, t)).body;
        if (!c.ok) throw new Error('create failed');
        const p = await stack.connect(String(c.data['patientToken']));
        await p.request('consultation:join', { consultationId: String(c.data['consultationId']), displayName: 'P' });
        doctors.push(await stack.connect(t), p);
      }
      const real = await autoscaler.tick();
      expect(real).toMatchObject({ waiting: before.waiting + 12, decision: { action: 'scaleOut', required: 2 } });
      for (const s of doctors) s.socket.close();
      dashboard.socket.close();
    } finally {
      await redis.del(AUTOSCALER_LEASE_KEY, 'visita:autoscaler:state', 'visita:autoscaler:status');
      redis.disconnect();
      for (const p of patients) p.socket.close();
    }
  });

  it('refuses a consultation past the open limit with TOO_MANY_OPEN until one ends', async () => {
    const small = await TestStack.start({ env: { VISITA_OPEN_CONSULTATIONS: '3' } });
    try {
      const token = await practitioner(small, 'open@clinic.test');
      const answers = await Promise.all(Array.from({ length: 6 }, () => create(small, token)));
      const statuses = answers.map((a) => a.status).sort();
      attack(
        'autoscaler demand',
        '6 consultations at once with 3 allowed open',
        statuses.join() === '201,201,201,409,409,409',
      );
      expect(statuses).toEqual([201, 201, 201, 409, 409, 409]);
      expect(answers.find((a) => a.status === 409)?.body).toMatchObject({ ok: false, code: ErrorCode.TOO_MANY_OPEN });
      // One ends (the practitioner hangs up before the patient came): one more may be created.
      const first = answers.find((a) => a.body.ok)!.body;
      const doctor = await small.connect(token);
      const consultationId = String(first.ok && first.data['consultationId']);
      await doctor.request('consultation:join', { consultationId });
      expect(await doctor.request('consultation:hangUp', { consultationId })).toMatchObject({ ok: true });
      expect((await create(small, token)).status).toBe(201);
      expect((await create(small, token)).status).toBe(409);
    } finally {
      await small.stop();
    }
  });
});

describe('patient link checks (GET /api/link, unauthenticated)', () => {
  let proxied: TestStack;
  beforeAll(async () => {
    proxied = await TestStack.start({ env: { VISITA_TRUSTED_PROXIES: 'loopback' } });
  });
  afterAll(async () => {
    await proxied?.stop();
  });
  const check = async (address: string, token = 'garbled') => {
    const res = await fetch(`${proxied.signalingUrl}/api/link`, {
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': address },
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Ack<unknown> };
  };

  it('answers one address VISITA_LINK_RATE (60) a minute, then RATE_LIMITED with Retry-After; other addresses and real patients go on', async () => {
    const { patientToken } = await proxied.createConsultation(await proxied.login());
    const flood = await Promise.all(Array.from({ length: 300 }, () => check('203.0.113.9')));
    const answered = flood.filter((r) => r.status === 200).length;
    const limited = flood.filter((r) => r.status === 429);
    attack('patient link checks', '300 link checks at once from one address', answered === 60);
    expect(answered).toBe(60);
    expect(limited).toHaveLength(240);
    expect(limited[0]?.body).toMatchObject({ ok: false, code: ErrorCode.RATE_LIMITED });
    expect(Number(limited[0]?.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited[0]?.retryAfter)).toBeLessThanOrEqual(60);
    // A patient elsewhere still gets their link's status.
    expect(await check('198.51.100.20', patientToken)).toMatchObject({
      status: 200,
      body: { ok: true, data: { status: 'open' } },
    });
  });
});
