import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode, VisitaError } from '@visita/protocol';

/** The window of every login limit. */
export const LOGIN_WINDOW_S = 15 * 60;
/** How long an address that logged in to an account stays known to it. */
export const KNOWN_ADDRESS_TTL_S = 30 * 24 * 3600;

/**
 * Login limits, shared by every instance (counters in Redis). Only failures count: an attempt
 * reserves a point in each counter and a success gives them back.
 * - per (email, address): a guesser is slowed down on one account from one place;
 * - per address, whatever the email: one password tried on many accounts;
 * - per email from addresses that never logged in to it: a distributed guesser, which can then
 *   no longer try from new addresses, while the owner, from an address that logged in before,
 *   still can: strangers cannot lock the owner out of a correct login.
 */
export interface LoginGuard {
  /** Before checking a password: RATE_LIMITED if this address may not try this email now. */
  attempt(email: string, address: string): Promise<LoginAttempt>;
}
export interface LoginAttempt {
  /** The address logged in to this account before (its checks go first). */
  known: boolean;
  succeeded(): Promise<void>;
}

/** Limits shared by every instance (counters in Redis). Each throws RATE_LIMITED when exceeded. */
export interface RateLimits {
  login: LoginGuard;
  /** One point per check-in (join) of a patient link. */
  checkIn(key: string): Promise<void>;
  /** One point per network test opened (pre-call check), per patient link or practitioner. */
  probe(key: string): Promise<void>;
  /** One point per patient link status asked (`GET /api/link`, unauthenticated), per client address. */
  link(address: string): Promise<void>;
  /** One point per consultation created, per practitioner account. */
  createConsultation(practitionerId: string): Promise<void>;
}

/** RATE_LIMITED, with when to try again (HTTP answers it as `Retry-After`). */
export class RateLimitedError extends VisitaError {
  readonly retryAfterS: number;
  constructor(retryAfterS: number) {
    super(ErrorCode.RATE_LIMITED, `too many attempts; retry in ${retryAfterS} s`);
    this.retryAfterS = retryAfterS;
  }
}

const sha = (s: string): string => createHash('sha256').update(s).digest('base64url').slice(0, 22);

function limited(e: unknown): never {
  if (e instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(e.msBeforeNext / 1000)));
  throw e;
}

export function redisRateLimits(
  redis: Redis,
  o: {
    loginAttempts: number;
    loginAddressAttempts: number;
    loginAccountAttempts: number;
    checkinRate: number;
    probeRate: number;
    linkRate: number;
    consultationRate: number;
  },
): RateLimits {
  const limiter = (keyPrefix: string, points: number, duration: number, blockInMemory = false) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points,
      duration,
      // A key past its limit is refused from memory until its window ends: a flood costs no Redis.
      ...(blockInMemory ? { inMemoryBlockOnConsumed: points + 1 } : {}),
    });
  const pair = limiter('visita:rl:login', o.loginAttempts, LOGIN_WINDOW_S);
  const address = limiter('visita:rl:login-addr', o.loginAddressAttempts, LOGIN_WINDOW_S);
  const account = limiter('visita:rl:login-acct', o.loginAccountAttempts, LOGIN_WINDOW_S);
  const checkIn = limiter('visita:rl:checkin', o.checkinRate, 60);
  const probe = limiter('visita:rl:probe', o.probeRate, 600);
  const link = limiter('visita:rl:link', o.linkRate, 60, true);
  const create = limiter('visita:rl:consultation', o.consultationRate, 3600);
  const knownKey = (email: string) => `visita:login-known:${sha(email)}`;

  const login: LoginGuard = {
    async attempt(rawEmail, addr) {
      const email = rawEmail.toLowerCase();
      const pairKey = `${sha(addr)}:${sha(email)}`;
      const taken: Array<[RateLimiterRedis, string]> = [];
      const giveBack = () => Promise.all(taken.map(([l, k]) => l.reward(k, 1))).then(() => undefined);
      let known = false;
      try {
        await pair.consume(pairKey);
        taken.push([pair, pairKey]);
        await address.consume(sha(addr));
        taken.push([address, sha(addr)]);
        known = (await redis.sismember(knownKey(email), sha(addr))) === 1;
        if (!known) {
          await account.consume(sha(email));
          taken.push([account, sha(email)]);
        }
      } catch (e) {
        await giveBack().catch(() => undefined);
        limited(e);
      }
      return {
        known,
        async succeeded() {
          await giveBack();
          await redis.multi().sadd(knownKey(email), sha(addr)).expire(knownKey(email), KNOWN_ADDRESS_TTL_S).exec();
        },
      };
    },
  };
  return {
    login,
    checkIn: (k) => checkIn.consume(k).then(() => undefined, limited),
    probe: (k) => probe.consume(k).then(() => undefined, limited),
    link: (address) => link.consume(sha(address)).then(() => undefined, limited),
    createConsultation: (id) => create.consume(id).then(() => undefined, limited),
  };
}
