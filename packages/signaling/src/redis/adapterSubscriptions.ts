import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/**
 * Runs `make` (which duplicates `redis` at once, as the Socket.IO adapter does for its
 * subscriptions) so that a SUBSCRIBE on a duplicate has its failure handled: the adapter sends it
 * without awaiting the answer, and a connection slower to come up than a command's time limit (a
 * loaded machine) left an unhandled rejection. The subscription itself still happens: ioredis
 * sends the queued command once connected, and again after each reconnection.
 */
export function withAnsweredSubscriptions<T>(redis: Redis, log: Logger, make: () => T): T {
  const duplicate = redis.duplicate;
  redis.duplicate = (...args: Parameters<Redis['duplicate']>) => {
    const copy = duplicate.apply(redis, args);
    const subscribe = copy.subscribe;
    copy.subscribe = ((...channels: Parameters<Redis['subscribe']>) => {
      const answered = subscribe.apply(copy, channels);
      answered.catch((e: Error) => log.warn({ err: e.message }, 'Socket.IO adapter subscription not answered in time'));
      return answered;
    }) as Redis['subscribe'];
    return copy;
  };
  try {
    return make();
  } finally {
    redis.duplicate = duplicate;
  }
}
