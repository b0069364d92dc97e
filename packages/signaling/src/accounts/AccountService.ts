import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode, VisitaError } from '@visita/protocol';
import type { Account, AccountRole, AccountStore, RefreshTokenStore } from '../store/AccountStore.ts';
import type { TokenService } from '../tokens.ts';
import { DUMMY_HASH_PROMISE, verifyPassword } from './password.ts';
import { HashGate } from './HashGate.ts';

/** Password hashes at once per instance, waiting logins, and hashes in flight per client address. */
export const HASH_CONCURRENCY = 2;
export const HASH_QUEUE = 32;
export const HASHES_PER_ADDRESS = 2;

/** Where logged-out sessions are remembered until their access tokens expire. */
export interface SessionRevocations {
  revoke(sessionId: string, ttlMs: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

export interface Session {
  /** One login: every access token refreshed from it carries this id (`sid`), revoked by logout. */
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  practitioner: { id: string; name: string; role: AccountRole };
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Accounts, login, and sessions: a short-lived access JWT plus a single-use refresh token. */
export class AccountService {
  readonly #accounts: AccountStore;
  readonly #refresh: RefreshTokenStore;
  readonly #tokens: TokenService;
  readonly #ttl: { accessS: number; refreshS: number };
  readonly #revocations: SessionRevocations;
  readonly #gate = new HashGate({ concurrency: HASH_CONCURRENCY, maxQueued: HASH_QUEUE, perKey: HASHES_PER_ADDRESS });
  /** Password checks done (a test counts them). */
  passwordChecks = 0;

  constructor(
    accounts: AccountStore,
    refresh: RefreshTokenStore,
    tokens: TokenService,
    ttl: { accessS: number; refreshS: number },
    revocations: SessionRevocations,
  ) {
    this.#accounts = accounts;
    this.#refresh = refresh;
    this.#tokens = tokens;
    this.#ttl = ttl;
    this.#revocations = revocations;
  }

  findByEmail(email: string): Promise<Account | null> {
    return this.#accounts.findByEmail(email);
  }

  /**
   * A session for the right email and password; UNAUTHENTICATED otherwise, in the same time either
   * way. `from` (the client address) bounds how many checks one client has in flight; `known`
   * (it logged in to this account before) puts its check first.
   */
  async login(email: string, password: string, from: string, known = false): Promise<Session> {
    const account = await this.#accounts.findByEmail(email);
    const hash = account?.passwordHash ?? (await DUMMY_HASH_PROMISE);
    const valid = await this.#gate.run(from, () => {
      this.passwordChecks++;
      return verifyPassword(password, hash);
    }, known);
    if (!account || !valid) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'wrong email or password');
    return this.#session(account, randomBytes(12).toString('base64url'));
  }

  /** Exchanges a refresh token (once) for a new session; a replayed or expired token is refused. */
  async refresh(refreshToken: string): Promise<Session> {
    const held = parseHolder(await this.#refresh.take(sha256(refreshToken)));
    const account = held && !(await this.#revocations.isRevoked(held.sessionId)) ? await this.#accounts.get(held.accountId) : null;
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

  /** Whether a session was logged out (its access tokens are refused). */
  isRevoked(sessionId: string): Promise<boolean> {
    return this.#revocations.isRevoked(sessionId);
  }

  async #session(account: Account, sessionId: string): Promise<Session> {
    const refreshToken = randomBytes(32).toString('base64url');
    // Only a hash is stored: a copy of Redis does not hand out sessions.
    await this.#refresh.save(sha256(refreshToken), `${account.id}.${sessionId}`, this.#ttl.refreshS * 1000);
    return {
      sessionId,
      accessToken: this.#tokens.practitioner({ sub: account.id, name: account.name, role: account.role, sid: sessionId }, this.#ttl.accessS),
      refreshToken,
      practitioner: { id: account.id, name: account.name, role: account.role },
    };
  }
}

/** A refresh token's holder, stored as `accountId.sessionId` (ids never contain a dot). */
function parseHolder(value: string | null): { accountId: string; sessionId: string } | null {
  const [accountId, sessionId] = value?.split('.') ?? [];
  return accountId && sessionId ? { accountId, sessionId } : null;
}
