import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode, VisitaError } from '@visita/protocol';

/** The window of every login limit. */
export const LOGIN_WINDOW_S = 15 * 60;
/** How long an address that logged in to an account stays known to it. */
export const KNOWN_ADDRESS_TTL_S = 30 * 24 * 3600;

/** The window of the second-factor code budget of an account. */
export const CODE_WINDOW_S = 24 * 3600;

/**
 * Login limits, shared by every instance (counters in Redis). Only failures count: an attempt
 * reserves a point in each counter and a success gives them back.
 * - per (email, address): a guesser is slowed down on one account from one place;
 * - per address, whatever the email, and per email from addresses that never logged in to it:
 *   one password tried on many accounts, or one account guessed from many addresses. An address
 *   the account logged in from before skips both, so strangers cannot lock the owner out there.
 * - a device the owner logged in on (a device token, `DeviceTokens`) has its own counter instead
 *   of all of these: nobody else, from anywhere, can lock that device out.
 * - second-factor codes also count against a budget per account over a day (per device for a
 *   remembered device): with the password known, the authenticator's 6 digits are guessed at
 *   `codeAttempts` tries a day at most.
 */
export interface LoginGuard {
  /** Before checking a password: RATE_LIMITED if this address (or device) may not try this email now. */
  attempt(email: string, address: string, device?: string | null): Promise<LoginAttempt>;
  /** Before checking a second-factor code: as `attempt`, and within the account's (or device's) code budget. */
  codeAttempt(email: string, address: string, device?: string | null): Promise<LoginAttempt>;
}
export interface LoginAttempt {
  /** The address logged in to this account before, or the attempt comes from a remembered device (its checks go first). */
  known: boolean;
  /** Gives the points back and nothing else: the password was right, the code is still due. */
  refund(): Promise<void>;
  /** Gives the points back and remembers the address as one the account logs in from. */
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
    codeAttempts: number;
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
  const device = limiter('visita:rl:login-dev', o.loginAttempts, LOGIN_WINDOW_S);
  const codes = limiter('visita:rl:code-acct', o.codeAttempts, CODE_WINDOW_S);
  const deviceCodes = limiter('visita:rl:code-dev', o.codeAttempts, CODE_WINDOW_S);
  const link = limiter('visita:rl:link', o.linkRate, 60, true);
  const create = limiter('visita:rl:consultation', o.consultationRate, 3600);
  const knownKey = (email: string) => `visita:login-known:${sha(email)}`;

  const guard = async (rawEmail: string, addr: string, deviceId: string | null, code: boolean) => {
    const email = rawEmail.toLowerCase();
    // Which counters this attempt takes: a remembered device only its own; else the pair, and the
    // address's and account's unless this address logged in to the account before.
    const known = deviceId !== null || (await redis.sismember(knownKey(email), sha(addr))) === 1;
    const counters: Array<[RateLimiterRedis, string]> =
      deviceId !== null
        ? [[device, sha(deviceId)], ...(code ? [[deviceCodes, sha(deviceId)] as [RateLimiterRedis, string]] : [])]
        : [
            [pair, `${sha(addr)}:${sha(email)}`],
            ...(known
              ? []
              : ([
                  [address, sha(addr)],
                  [account, sha(email)],
                ] as Array<[RateLimiterRedis, string]>)),
            ...(code ? [[codes, sha(email)] as [RateLimiterRedis, string]] : []),
          ];
    const taken: Array<[RateLimiterRedis, string]> = [];
    const giveBack = () => Promise.all(taken.map(([l, k]) => l.reward(k, 1))).then(() => undefined);
    try {
      for (const [l, k] of counters) {
        await l.consume(k);
        taken.push([l, k]);
      }
    } catch (e) {
      await giveBack().catch(() => undefined);
      limited(e);
    }
    let settled = false;
    const once = async (remember: boolean) => {
      if (settled) return;
      settled = true;
      await giveBack();
      if (remember)
        await redis.multi().sadd(knownKey(email), sha(addr)).expire(knownKey(email), KNOWN_ADDRESS_TTL_S).exec();
    };
    return { known, refund: () => once(false), succeeded: () => once(true) };
  };
  const login: LoginGuard = {
    attempt: (email, addr, deviceId = null) => guard(email, addr, deviceId, false),
    codeAttempt: (email, addr, deviceId = null) => guard(email, addr, deviceId, true),
  };
  return {
    login,
    checkIn: (k) => checkIn.consume(k).then(() => undefined, limited),
    probe: (k) => probe.consume(k).then(() => undefined, limited),
    link: (address) => link.consume(sha(address)).then(() => undefined, limited),
    createConsultation: (id) => create.consume(id).then(() => undefined, limited),
  };
}
