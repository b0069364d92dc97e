import { Redis } from 'ioredis';
import { failSentCommandsOnClose, redisEndpoint, redisOptions } from '@visita/protocol/redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisServer } from './support/redisServer.ts';

// How every Visita connection behaves when its connection drops with a command sent and not
// answered (a primary frozen then failed over, killed, a network cut): the command fails at once,
// instead of waiting out its time limit while the connection has already moved on.
let server: RedisServer;
let admin: Redis;
beforeAll(async () => {
  server = await RedisServer.start();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

async function sentThenDropped(fail: boolean): Promise<number> {
  const redis = new Redis(
    redisOptions(redisEndpoint({ VISITA_REDIS_URL: server.urls.signaling, VISITA_REDIS_MASTER_NAME: 'visita' })),
  );
  redis.on('error', () => undefined);
  if (fail) failSentCommandsOnClose(redis);
  try {
    await redis.ping();
    // A command that gets no answer for a while (as one sent to a frozen Redis).
    const sent = redis.blpop('visita:never', 2).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    const droppedAt = Date.now();
    await admin.client('KILL', 'USER', 'signaling');
    const outcome = await sent;
    expect(outcome).toBeInstanceOf(Error);
    return Date.now() - droppedAt;
  } finally {
    redis.disconnect();
  }
}

it('fails a command sent before its connection dropped at once, not after its time limit', async () => {
  const withIt = await sentThenDropped(true);
  const without = await sentThenDropped(false);
  console.log(`a sent command failed ${withIt} ms after its connection dropped (${without} ms without)`);
  expect(withIt).toBeLessThan(500);
  expect(without).toBeGreaterThan(1_500); // what it guards against: waiting out the 2.5-s limit
});
