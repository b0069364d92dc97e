import { Redis } from 'ioredis';
import { redisOptions, redisEndpoint } from '@visita/protocol/redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { MeteringLog } from '../src/metering/MeteringLog.ts';
import { DurableWrites } from '../src/redis/DurableWrites.ts';
import { RedisServer } from './support/redisServer.ts';

// DurableWrites against real redis-servers (production configuration): a metering fact written
// while Redis is down is kept and made once Redis is back; with a replica required, a write no
// replica confirmed in time is kept and made (once) when one confirms; a bug is not kept.
let primary: RedisServer;
let admin: Redis;
const connections: Redis[] = [];
beforeAll(async () => {
  primary = await RedisServer.start();
  admin = new Redis(primary.url);
  admin.on('error', () => undefined); // while the test takes Redis down
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  admin?.disconnect();
  await primary?.stop();
});

function durable(replicas: number): DurableWrites {
  const redis = new Redis(
    redisOptions(redisEndpoint({ VISITA_REDIS_URL: primary.urls.signaling, VISITA_REDIS_MASTER_NAME: 'visita' })),
  );
  redis.on('error', () => undefined);
  connections.push(redis);
  return new DurableWrites({
    redis,
    replicas,
    waitMs: 1_000,
    log: createLogger(process.env['VISITA_TEST_LOG'] ?? 'silent'),
  });
}
let n = 0;
const fact = () => ({
  key: `c${++n}:admitted`,
  type: 'admitted' as const,
  consultationId: `c${n}`,
  practitionerId: 'pr-1',
  at: Date.now(),
});
const history = async (id: string) => admin.llen(`visita:metering:c:${id}`);
const until = async (what: string, f: () => Promise<boolean>) => {
  for (let i = 0; i < 400; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${what}`);
};

it('keeps a write made while Redis is down, and makes it once Redis is back', async () => {
  const writes = durable(0);
  const before = fact();
  await writes.run('metering', (r) => new MeteringLog(r).append(before)); // connected
  expect(await history(before.consultationId)).toBe(1);
  await primary.down('SIGKILL');
  const e = fact();
  await writes.run('metering', (r) => new MeteringLog(r).append(e));
  expect(writes.kept).toBe(1);
  await primary.up();
  await until('the kept write made', async () => (await history(e.consultationId)) === 1);
  expect(writes.kept).toBe(0);
  writes.close();
});

it('with a replica required: a write is kept until one confirms it, made again if the connection drops meanwhile, once', async () => {
  const writes = durable(1);
  const e = fact();
  await writes.run('metering', (r) => new MeteringLog(r).append(e));
  // Written on the primary at once, but no replica confirms it: it is kept.
  expect(writes.kept).toBe(1);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(writes.kept).toBe(1);
  // The primary loses it (as a failover to a replica that never had it would), and the connection
  // drops: the write is made again where the connection goes next.
  await admin.del(`visita:metering:key:${e.key}`, `visita:metering:c:${e.consultationId}`);
  await admin.client('KILL', 'USER', 'signaling');
  await until('made again', async () => (await history(e.consultationId)) === 1);
  expect(await history(e.consultationId)).toBe(1);
  const replica = await RedisServer.start({ replicaOf: primary });
  try {
    await until('kept write confirmed', async () => writes.kept === 0);
    expect(await history(e.consultationId)).toBe(1);
    const replicaAdmin = new Redis(replica.url);
    try {
      await until(
        'copied to the replica',
        async () => (await replicaAdmin.llen(`visita:metering:c:${e.consultationId}`)) === 1,
      );
    } finally {
      replicaAdmin.disconnect();
    }
    // A write now: confirmed within a few WAIT rounds.
    const f = fact();
    await writes.run('metering', (r) => new MeteringLog(r).append(f));
    await until('confirmed', async () => writes.kept === 0);
  } finally {
    await replica.stop();
    writes.close();
  }
});

it('does not keep a write that fails for another reason (a bug), and says so', async () => {
  const writes = durable(0);
  await expect(writes.run('metering', (r) => new MeteringLog(r).append({ ...fact(), key: '' }))).rejects.toThrow();
  expect(writes.kept).toBe(0);
  writes.close();
});
