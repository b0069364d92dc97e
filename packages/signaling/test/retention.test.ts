import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Retention } from '../src/store/retention.ts';
import { TestStack } from './support/stack.ts';

// Patient data is kept for a documented time only: keys holding it expire by themselves, and the
// streams (Socket.IO adapter, metering, audit) and indexes are trimmed by age.
const DAY = 24 * 3600_000;
let stack: TestStack;
let redis: Redis;
beforeAll(async () => {
  stack = await TestStack.start({ env: { VISITA_AUDIT_RETENTION_DAYS: '30' } });
  redis = new Redis(stack.redis.url);
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

// First, on a fresh stack: stream ids only grow, and these entries are written with old ids.
it('trims the streams by age and drops index entries whose record expired', async () => {
  const now = Date.now();
  const old = now - 200 * DAY;
  // Entries as old as the policy allows, and older ones, written with explicit (time-based) ids.
  await redis.xadd('visita:metering', `${old}-0`, 'e', '{}');
  await redis.xadd('visita:metering', `${now - 89 * DAY}-0`, 'e', '{}');
  await redis.xadd('visita:audit', `${now - 31 * DAY}-0`, 'action', 'old');
  await redis.xadd('visita:audit:p:pr-retention', `${now - 31 * DAY}-0`, 'action', 'old');
  await redis.xadd('visita:audit:p:pr-retention', `${now - 29 * DAY}-0`, 'action', 'recent');
  await redis.xadd('visita:sio', `${now - 10 * 60_000}-0`, 'uid', 'x', 'type', '1', 'data', 'Ada');
  await redis.zadd(
    'visita:practitioner:pr-retention:consultations',
    now - 60 * DAY,
    'expired-one',
    now - 60 * DAY,
    'still-here',
  );
  await redis.hset('visita:consultation:still-here', 'id', 'still-here');

  const removed = await stack.signaling.applyRetention(now);
  expect(removed.streamEntries).toBeGreaterThanOrEqual(4);
  expect(removed.indexEntries).toBe(1);
  expect((await redis.xrange('visita:metering', '-', '+')).map(([id]) => id)).not.toContain(`${old}-0`);
  expect((await redis.xrange('visita:metering', '-', '+')).map(([id]) => id)).toContain(`${now - 89 * DAY}-0`);
  expect((await redis.xrange('visita:audit', '-', String(now - 30 * DAY))).length).toBe(0);
  expect((await redis.xrange('visita:audit:p:pr-retention', '-', '+')).map(([, f]) => f[1])).toEqual(['recent']);
  expect((await redis.xrange('visita:sio', '-', String(now - 5 * 60_000))).length).toBe(0);
  expect(await redis.zrange('visita:practitioner:pr-retention:consultations', '0', '-1')).toEqual(['still-here']);
});

it('gives every key holding patient data a bounded lifetime', async () => {
  const token = await stack.login();
  const { consultationId, patientToken } = await stack.createConsultation(token);
  const consultationTtl = await redis.pttl(`visita:consultation:${consultationId}`);
  expect(consultationTtl).toBeGreaterThan(Retention.OPEN_CONSULTATION_MS - 60_000);
  expect(consultationTtl).toBeLessThanOrEqual(Retention.OPEN_CONSULTATION_MS);
  const patient = await stack.connect(patientToken);
  await patient.request('consultation:join', { consultationId, displayName: 'Ada', reason: 'sore throat' });
  await patient.request('chat:send', { consultationId, text: 'hello' });
  const entryTtl = await redis.pttl(`visita:queue-entry:${consultationId}`);
  expect(entryTtl).toBeGreaterThan(0);
  expect(entryTtl).toBeLessThanOrEqual(Retention.WAITING_ENTRY_MS);
  expect(await redis.pttl(`visita:chat:${consultationId}`)).toBeGreaterThan(0);
  const doctor = await stack.connect(token);
  const queue = await doctor.request('queue:watch', {});
  expect(queue.ok && queue.data.entries.find((e) => e.consultationId === consultationId)?.reason).toBe('sore throat');
  // Queue updates travel between instances as ids: the reason never enters the shared stream.
  const updated = doctor.until('queue:updated', (q) =>
    q.entries.some((e) => e.consultationId === consultationId && e.patientName === 'Ada Again'),
  );
  await patient.request('consultation:join', { consultationId, displayName: 'Ada Again', reason: 'sore throat' });
  await updated;
  expect(JSON.stringify(await redis.xrange('visita:sio', '-', '+'))).not.toContain('sore throat');
  await doctor.request('consultation:hangUp', { consultationId });
  // Ended: the record goes after a week; the waiting entry is gone at once.
  const endedTtl = await redis.pttl(`visita:consultation:${consultationId}`);
  expect(endedTtl).toBeGreaterThan(0);
  expect(endedTtl).toBeLessThanOrEqual(Retention.ENDED_CONSULTATION_MS);
  expect(await redis.exists(`visita:queue-entry:${consultationId}`)).toBe(0);
  // No key that names the patient lives forever (name and reason were stored).
  for (const key of await redis.keys('visita:*')) {
    const type = await redis.type(key);
    const text =
      type === 'string'
        ? await redis.get(key)
        : type === 'hash'
          ? JSON.stringify(await redis.hgetall(key))
          : type === 'list'
            ? JSON.stringify(await redis.lrange(key, 0, -1))
            : type === 'stream'
              ? JSON.stringify(await redis.xrange(key, '-', '+'))
              : '';
    if (text && /Ada|sore throat/.test(text))
      expect([key, type === 'stream' ? 'trimmed by age' : await redis.pttl(key)]).not.toEqual([key, -1]);
  }
});
