import { createHash, randomBytes } from 'node:crypto';
import {
  ErrorCode,
  LOGIN_CHALLENGE_TTL_S,
  MAX_CHALLENGE_ATTEMPTS,
  VisitaError,
  type SessionGrant,
} from '@visita/protocol';
import type { Account, AccountRole, AccountStore, RefreshTokenStore } from '../store/AccountStore.ts';
import type { LoginChallengeStore } from '../store/LoginChallengeStore.ts';
import type { CodeGuard, TwoFactorService } from './TwoFactorService.ts';
import type { TokenService } from '../tokens.ts';
import { DUMMY_HASH_PROMISE, verifyPassword } from './password.ts';
import { HashGate } from './HashGate.ts';

/** Password hashes at once per instance, waiting logins, and hashes in flight per client address. */
export const HASH_CONCURRENCY = 2;
export const HASH_QUEUE = 32;
export const HASHES_PER_ADDRESS = 2;

/** Where logged-out sessions are remembered until their access tokens expire, and each account's open sessions. */
export interface SessionRevocations {
  revoke(sessionId: string, ttlMs: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  /** The session is open for at most `ttlMs` more (renewed by each refresh). */
  track(accountId: string, sessionId: string, ttlMs: number): Promise<void>;
  /** Revokes every open session of the account but `keep`, each for `ttlMs`; returns their ids. */
  revokeAllBut(accountId: string, keep: string, ttlMs: number): Promise<string[]>;
}

export interface Session {
  /** One login: every access token refreshed from it carries this id (`sid`), revoked by logout. */
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  practitioner: { id: string; name: string; role: AccountRole };
  /** The refresh token expires after this long unused (automatic logoff); the client logs out after as long without activity. */
  idleTimeoutS: number;
}

/** A login's result: a session, or (second factor enabled) a challenge for `completeLogin`. */
export type LoginOutcome = { kind: 'session'; session: Session } | { kind: 'challenge'; challenge: string };

/** A session as the HTTP API answers it. */
export const toGrant = (s: Session): SessionGrant => ({
  token: s.accessToken,
  refreshToken: s.refreshToken,
  practitioner: s.practitioner,
  idleTimeoutS: s.idleTimeoutS,
});

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Accounts, login, and sessions: a short-lived access JWT plus a single-use refresh token. */
export class AccountService {
  readonly #accounts: AccountStore;
  readonly #refresh: RefreshTokenStore;
  readonly #tokens: TokenService;
  readonly #ttl: { accessS: number; refreshS: number; idleS: number };
  readonly #revocations: SessionRevocations;
  readonly #challenges: LoginChallengeStore;
  readonly #twoFactor: TwoFactorService;
  readonly #gate = new HashGate({ concurrency: HASH_CONCURRENCY, maxQueued: HASH_QUEUE, perKey: HASHES_PER_ADDRESS });
  /** Password checks done (a test counts them). */
  passwordChecks = 0;

  constructor(
    accounts: AccountStore,
    refresh: RefreshTokenStore,
    tokens: TokenService,
    ttl: { accessS: number; refreshS: number; idleS: number },
    revocations: SessionRevocations,
    secondFactor: { challenges: LoginChallengeStore; twoFactor: TwoFactorService },
  ) {
    this.#accounts = accounts;
    this.#refresh = refresh;
    this.#tokens = tokens;
    this.#ttl = ttl;
    this.#revocations = revocations;
    this.#challenges = secondFactor.challenges;
    this.#twoFactor = secondFactor.twoFactor;
  }

  findByEmail(email: string): Promise<Account | null> {
    return this.#accounts.findByEmail(email);
  }

  /**
   * A session for the right email and password; UNAUTHENTICATED otherwise, in the same time either
   * way. `from` (the client address) bounds how many checks one client has in flight; `known`
   * (it logged in to this account before) puts its check first. With two-factor authentication
   * enabled, the right password gives a challenge, not a session: `completeLogin` with a code.
   */
  async login(email: string, password: string, from: string, known = false): Promise<LoginOutcome> {
    const account = await this.#accounts.findByEmail(email);
    const hash = account?.passwordHash ?? (await DUMMY_HASH_PROMISE);
    const valid = await this.#gate.run(
      from,
      () => {
        this.passwordChecks++;
        return verifyPassword(password, hash);
      },
      known,
    );
    if (!account || !valid) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'wrong email or password');
    const sessionId = randomBytes(12).toString('base64url');
    if (!account.twoFactor) return { kind: 'session', session: await this.#session(account, sessionId) };
    // Opaque and random, stored hashed: not a JWT, so nothing that takes a token accepts it.
    const challenge = randomBytes(32).toString('base64url');
    await this.#challenges.create(
      sha256(challenge),
      { accountId: account.id, sessionId, email: account.email },
      LOGIN_CHALLENGE_TTL_S * 1000,
    );
    return { kind: 'challenge', challenge };
  }

  /**
   * The second step of a login: the session the challenge was issued for, if `code` (normalized: a
   * current TOTP code or an unused recovery code) is right. Each challenge takes at most
   * MAX_CHALLENGE_ATTEMPTS codes and is used once; every code also goes through `guard` (the
   * login limits), so guessing the 6 digits is bounded across challenges too.
   */
  async completeLogin(challenge: string, code: string, guard: CodeGuard): Promise<Session> {
    const key = sha256(challenge);
    const held = await this.#challenges.attempt(key);
    if (!held) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'this login has expired: please log in again');
    if (held.attempts > MAX_CHALLENGE_ATTEMPTS)
      throw new VisitaError(ErrorCode.RATE_LIMITED, 'too many wrong codes: please log in again');
    const attempt = await guard(held.email);
    const account = await this.#accounts.get(held.accountId);
    if (!account || !(await this.#twoFactor.verify(account, code)))
      throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'wrong code');
    if (!(await this.#challenges.take(key)))
      throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'this login has expired: please log in again');
    await attempt.succeeded();
    return this.#session(account, held.sessionId);
  }

  /** Exchanges a refresh token (once) for a new session; a replayed or expired token is refused. */
  async refresh(refreshToken: string): Promise<Session> {
    const held = parseHolder(await this.#refresh.take(sha256(refreshToken)));
    const account =
      held && !(await this.#revocations.isRevoked(held.sessionId)) ? await this.#accounts.get(held.accountId) : null;
    if (!account || !held) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'session expired: please log in again');
    return this.#session(account, held.sessionId);
  }

  /**
   * Ends the session of this refresh token: the token is gone, and the session's access tokens
   * are refused until they expire. Returns the session id (its sockets are disconnected), if any.
   */
  async logout(refreshToken: string): Promise<string | null> {
    const held = parseHolder(await this.#refresh.take(sha256(refreshToken)));
    if (!held) return null;
    await this.#revocations.revoke(held.sessionId, this.#ttl.accessS * 1000);
    return held.sessionId;
  }

  /**
   * Ends every other session of the account (its credentials changed: two-factor authentication
   * turned on): their refresh tokens and access tokens are refused from now on. Returns their ids
   * (their sockets are disconnected).
   */
  endOtherSessions(accountId: string, keep: string): Promise<string[]> {
    return this.#revocations.revokeAllBut(accountId, keep, this.#sessionTtlMs());
  }

  /** How long a session can still be used after its last refresh: its refresh token's life, or an access token's. */
  #sessionTtlMs(): number {
    return Math.max(this.#ttl.accessS, Math.min(this.#ttl.refreshS, this.#ttl.idleS)) * 1000;
  }

  /** Whether a session was logged out (its access tokens are refused). */
  isRevoked(sessionId: string): Promise<boolean> {
    return this.#revocations.isRevoked(sessionId);
  }

  async #session(account: Account, sessionId: string): Promise<Session> {
    const refreshToken = randomBytes(32).toString('base64url');
    // Only a hash is stored: a copy of Redis does not hand out sessions. It expires when unused for
    // the idle timeout (each refresh stores a new one), and at the latest after the refresh TTL.
    await this.#refresh.save(
      sha256(refreshToken),
      `${account.id}.${sessionId}`,
      Math.min(this.#ttl.refreshS, this.#ttl.idleS) * 1000,
    );
    await this.#revocations.track(account.id, sessionId, this.#sessionTtlMs());
    return {
      sessionId,
      accessToken: this.#tokens.practitioner(
        { sub: account.id, name: account.name, role: account.role, sid: sessionId },
        this.#ttl.accessS,
      ),
      refreshToken,
      practitioner: { id: account.id, name: account.name, role: account.role },
      idleTimeoutS: this.#ttl.idleS,
    };
  }
}

/** A refresh token's holder, stored as `accountId.sessionId` (ids never contain a dot). */
function parseHolder(value: string | null): { accountId: string; sessionId: string } | null {
  const [accountId, sessionId] = value?.split('.') ?? [];
  return accountId && sessionId ? { accountId, sessionId } : null;
}
