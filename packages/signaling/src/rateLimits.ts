import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode, VisitaError } from '@visita/protocol';

/** Limits shared by every instance (counters in Redis). Each throws RATE_LIMITED when exceeded. */
export interface RateLimits {
  /** One point per login attempt, per client address and email. */
  login(key: string): Promise<void>;
  /** One point per check-in (join) of a patient link. */
  checkIn(key: string): Promise<void>;
}

export function redisRateLimits(redis: Redis, o: { loginAttempts: number; checkinRate: number }): RateLimits {
  const login = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'visita:rl:login', points: o.loginAttempts, duration: 15 * 60 });
  const checkIn = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'visita:rl:checkin', points: o.checkinRate, duration: 60 });
  const consume = async (limiter: RateLimiterRedis, key: string): Promise<void> => {
    try {
      await limiter.consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        throw new VisitaError(ErrorCode.RATE_LIMITED, `too many attempts; retry in ${Math.ceil(e.msBeforeNext / 1000)} s`);
      }
      throw e;
    }
  };
  return { login: (k) => consume(login, k), checkIn: (k) => consume(checkIn, k) };
}
