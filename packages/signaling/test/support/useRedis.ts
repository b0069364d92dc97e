import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from './redisServer.ts';

/**
 * For a contract suite: a real redis-server for the file (started before, stopped after) and a
 * client to it. Call at the top level of the test file; the getter is valid inside tests.
 */
export function useRedis(): () => Redis {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await RedisServer.start();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  return () => {
    if (!client) throw new Error('useRedis(): the redis-server is not started yet');
    return client;
  };
}
