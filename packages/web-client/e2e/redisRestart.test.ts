import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  LIVE_KEYS,
  compareDumps,
  connectClient,
  createConsultation,
  dumpRedis,
  login,
  type TestClient,
} from '@visita/signaling/testing';
import { Platform } from './support/platform.ts';

// Redis restarts under `make start`, with its own configuration (ACL users, AOF): every record the
// platform wrote through its real entry points (REST, Socket.IO, the admin CLI) is there after
// redis-server is killed (SIGTERM, then SIGKILL) and brought back by its supervisor, and after
// Ctrl-C and `make start` again: a full dump of Redis compared before and after (every key and
// stream, values, expiry times within a second), then the practitioners log in again.
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
let platform: Platform;
let redis: Redis;
const clients: TestClient[] = [];
const SECOND = { email: 'second@visita.test', password: 'a second practitioner password' };

beforeAll(async () => {
  // One SFU node that one call fills (4 consumers): a second admission waits for capacity.
  platform = await Platform.start({ env: { VISITA_SFU_MAX_CONSUMERS: '4' } });
  redis = platform.adminRedis();
});
afterAll(async () => {
  for (const c of clients) c.socket.close();
  redis?.disconnect();
  await platform?.dispose();
});

const connect = async (token: string) => {
  const c = await connectClient(platform.signalingUrl, token);
  clients.push(c);
  return c;
};
const ok = <T>(ack: { ok: true; data: T } | { ok: false; code: string; message: string }): T => {
  if (!ack.ok) throw new Error(`${ack.code}: ${ack.message}`);
  return ack.data;
};

/**
 * Writes every kind of record through the platform: a second account (CLI), sessions, consultations,
 * a waiting room with messages, a finished call (chat, audit, metering, usage, durations), a call
 * in progress whose patient dropped (a deadline), and an admission waiting for media capacity.
 */
async function writeRecords(tag: string): Promise<void> {
  const { token, doctor } = await settle();
  const consultation = async (name: string) => {
    const c = await createConsultation(platform.signalingUrl, token);
    const patient = await connect(c.patientToken);
    ok(
      await patient.request('consultation:join', {
        consultationId: c.consultationId,
        displayName: name,
        reason: `${tag} reason`,
      }),
    );
    ok(await doctor.request('consultation:join', { consultationId: c.consultationId }));
    return { id: c.consultationId, patient };
  };
  // An admission starts its call at once, or once the node's last call is off its load (its next
  // heartbeat): either way the call is in progress before going on.
  const admitIntoCall = async (id: string) => {
    ok(await doctor.request('consultation:admit', { consultationId: id }));
    for (let i = 0; i < 150 && !(await redis.sismember('visita:in_call', id)); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await redis.sismember('visita:in_call', id)).toBe(1);
  };
  // A finished call, with chat.
  const done = await consultation(`${tag} done`);
  await admitIntoCall(done.id);
  ok(await done.patient.request('chat:send', { consultationId: done.id, text: `${tag}: hello doctor` }));
  ok(await doctor.request('chat:send', { consultationId: done.id, text: `${tag}: hello` }));
  ok(await doctor.request('consultation:hangUp', { consultationId: done.id }));
  // Patients waiting, one with a message.
  const waiting = await consultation(`${tag} waiting`);
  ok(await doctor.request('waiting:message', { consultationId: waiting.id, text: 'running 5 minutes late' }));
  await consultation(`${tag} waiting too`);
  // A call in progress that fills the node; its patient drops (a deadline for their return). Its
  // practitioner stays, on a connection of its own (a connection joining another consultation
  // leaves this one: with the patient gone too, the call would be abandoned).
  const inCall = await consultation(`${tag} in call`);
  const callDoctor = await connect(token);
  ok(await callDoctor.request('consultation:join', { consultationId: inCall.id }));
  await admitIntoCall(inCall.id);
  inCall.patient.socket.close();
  // An admission waiting for capacity.
  const delayed = await consultation(`${tag} delayed`);
  const view = ok(await doctor.request('consultation:admit', { consultationId: delayed.id }));
  expect(view.admission).toBeDefined();
  // Wait for what the background passes write by themselves (the rater's usage, the deadline).
  for (let i = 0; i < 100; i++) {
    const [usage, deadlines] = await Promise.all([
      redis.exists(`visita:usage:c:${done.id}`),
      redis.zrange('visita:deadlines', '0', '-1'),
    ]);
    if (usage && deadlines.some((d) => d.startsWith(inCall.id))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no usage record or no deadline written');
}

/** Ends the calls in progress and declines the admissions waiting: the platform at rest, the node free. */
async function settle(): Promise<{ token: string; doctor: TestClient }> {
  const token = await login(platform.signalingUrl, platform.login.email, platform.login.password);
  const doctor = await connect(token);
  for (const id of await redis.smembers('visita:in_call'))
    ok(await doctor.request('consultation:hangUp', { consultationId: id }));
  for (const id of await redis.zrange('visita:admissions', '0', '-1'))
    ok(await doctor.request('consultation:decline', { consultationId: id, reason: 'later' }));
  return { token, doctor };
}

/** The record kinds the issue lists, each present in the dump (so the comparison covers them). */
function kinds(keys: Iterable<string>): string[] {
  const prefixes = {
    account: /^visita:account:/,
    'account email index': /^visita:account-email:/,
    consultation: /^visita:consultation:/,
    'practitioner index': /^visita:practitioner:.*:consultations$/,
    queue: /^visita:queue:/,
    'queue entry': /^visita:queue-entry:/,
    chat: /^visita:chat:/,
    audit: /^visita:audit$/,
    'practitioner audit': /^visita:audit:p:/,
    metering: /^visita:metering$/,
    usage: /^visita:usage:c:/,
    deadlines: /^visita:deadlines$/,
    admissions: /^visita:admissions$/,
    durations: /^visita:durations:/,
    'refresh tokens': /^visita:refresh:/,
  };
  const all = [...keys];
  return Object.entries(prefixes)
    .filter(([, p]) => all.some((k) => p.test(k)))
    .map(([k]) => k);
}

async function loginsWork(): Promise<void> {
  expect(await login(platform.signalingUrl, platform.login.email, platform.login.password)).toMatch(/^ey/);
  expect(await login(platform.signalingUrl, SECOND.email, SECOND.password)).toMatch(/^ey/);
}

async function redisBack(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (
      await redis.ping().then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Redis did not come back');
}

it('a second account, created with the admin CLI as an operator would', () => {
  execFileSync(
    join(root, 'bin/visita'),
    ['practitioner', 'add', '--email', SECOND.email, '--name', 'Dr Second', '--password-env', 'PW'],
    {
      env: {
        ...process.env,
        PW: SECOND.password,
        VISITA_STATE_DIR: platform.stateDir,
        VISITA_REDIS_PORT: String(platform.ports.redis),
      },
    },
  );
});

it.each(['SIGTERM', 'SIGKILL'] as const)(
  'keeps every record when redis-server is stopped by %s and restarted by its supervisor',
  async (signal) => {
    await writeRecords(signal);
    const before = await dumpRedis(redis);
    expect(kinds(before.keys.keys())).toHaveLength(15);
    const pid = platform.kill('redis', signal);
    await platform.restarted('redis', pid);
    await redisBack();
    const after = await dumpRedis(redis);
    expect(compareDumps(before, after, { live: LIVE_KEYS })).toEqual([]);
    expect(platform.out).toMatch(signal === 'SIGKILL' ? /redis was killed by SIGKILL/ : /redis exited with code 0/);
    await loginsWork();
  },
);

it('keeps every record through Ctrl-C and `make start` again', async () => {
  await writeRecords('stop');
  // At rest before the stop (nothing the restarted platform would act on): the calls end, the
  // delayed admission is declined. Their records are what is compared.
  await settle();
  for (const c of clients) c.socket.close();
  await new Promise((r) => setTimeout(r, 1_500)); // the rater's last usage records
  const before = await dumpRedis(redis);
  await platform.stop();
  expect(platform.out).toContain('stopped');
  platform = await Platform.start({ again: platform, env: { VISITA_SFU_MAX_CONSUMERS: '4' } });
  redis.disconnect();
  redis = platform.adminRedis();
  const after = await dumpRedis(redis);
  // What `make start` writes again by design: the demo account's password (the one it prints; a new
  // salt), and the addresses its own demo login came from.
  const demo = await redis.get(`visita:account-email:${platform.login.email}`);
  const rewritten = [new RegExp(`^visita:account:${demo}$`), /^visita:login-known:/];
  expect(compareDumps(before, after, { live: [...LIVE_KEYS, /^visita:queue-absent:/, ...rewritten] })).toEqual([]);
  expect(after.keys.size).toBeGreaterThan(before.keys.size / 2);
  await loginsWork();
});
