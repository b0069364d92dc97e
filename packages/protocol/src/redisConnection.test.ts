import { expect, it } from 'vitest';
import { z } from 'zod';
import { RedisEnv, isRedisUnavailable, redisEndpoint, redisOptions, redisRetryDelayMs } from './redisConnection.ts';

const parse = (env: Record<string, string>) => redisEndpoint(z.object(RedisEnv).parse(env));

it('reads one server, or a primary through the sentinels, with the URL’s user and password', () => {
  const one = redisOptions(parse({ VISITA_REDIS_URL: 'redis://signaling:s%40cret@127.0.0.1:6390' }));
  expect(one).toMatchObject({ host: '127.0.0.1', port: 6390, username: 'signaling', password: 's@cret', db: 0 });
  expect(one).not.toHaveProperty('sentinels');
  const ha = redisOptions(
    parse({
      VISITA_REDIS_URL: 'redis://sfu:pw@ignored:1',
      VISITA_REDIS_SENTINELS: '127.0.0.1:26390,127.0.0.1:26391,localhost:26392',
      VISITA_REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
    }),
  );
  expect(ha).toMatchObject({
    sentinels: [
      { host: '127.0.0.1', port: 26390 },
      { host: '127.0.0.1', port: 26391 },
      { host: 'localhost', port: 26392 },
    ],
    name: 'visita',
    role: 'master',
    username: 'sfu',
    password: 'pw',
    sentinelPassword: 'sentinel-pw',
    failoverDetector: true,
  });
  expect(ha).not.toHaveProperty('host');
});

it('refuses what is not a Redis URL or a list of sentinels', () => {
  for (const env of [
    { VISITA_REDIS_URL: 'http://127.0.0.1:6379' },
    { VISITA_REDIS_URL: 'redis://[bad' },
    { VISITA_REDIS_SENTINELS: '127.0.0.1' },
    { VISITA_REDIS_SENTINELS: '127.0.0.1:26390,' },
    { VISITA_REDIS_MASTER_NAME: 'a b' },
  ])
    expect(z.object(RedisEnv).safeParse(env).success, JSON.stringify(env)).toBe(false);
});

it('behaves the same everywhere when Redis goes away: back within a second, no command sent twice', () => {
  const o = redisOptions(parse({}));
  expect(o).toMatchObject({
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 2_500,
    disconnectTimeout: 100,
  });
  expect([1, 2, 5, 10, 50].map(redisRetryDelayMs)).toEqual([100, 200, 500, 1_000, 1_000]);
});

it('tells Redis out of reach from a bug', () => {
  const e = (message: string, extra: object = {}) => Object.assign(new Error(message), extra);
  for (const out of [
    e('Reached the max retries per request limit (which is 1).', { name: 'MaxRetriesPerRequestError' }),
    e('Connection is closed.'),
    e('Command timed out'),
    e('connect ECONNREFUSED 127.0.0.1:6390', { code: 'ECONNREFUSED' }),
    e('LOADING Redis is loading the dataset in memory'),
    e("READONLY You can't write against a read only replica."),
    e('NOREPLICAS Not enough good replicas to write.'),
    e('All sentinels are unreachable. Retrying from scratch after 100ms.'),
  ])
    expect(isRedisUnavailable(out), out.message).toBe(true);
  for (const bug of [
    e('WRONGTYPE Operation against a key holding the wrong kind of value'),
    e('x is undefined'),
    'text',
  ])
    expect(isRedisUnavailable(bug)).toBe(false);
});
