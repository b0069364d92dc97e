import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode, VisitaError } from '@visita/protocol';
import type { Account, AccountRole, AccountStore, RefreshTokenStore } from '../store/AccountStore.ts';
import type { TokenService } from '../tokens.ts';
import { DUMMY_HASH_PROMISE, verifyPassword } from './password.ts';

export interface Session {
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

  constructor(accounts: AccountStore, refresh: RefreshTokenStore, tokens: TokenService, ttl: { accessS: number; refreshS: number }) {
    this.#accounts = accounts;
    this.#refresh = refresh;
    this.#tokens = tokens;
    this.#ttl = ttl;
  }

  findByEmail(email: string): Promise<Account | null> {
    return this.#accounts.findByEmail(email);
  }

  /** A session for the right email and password; UNAUTHENTICATED otherwise, in the same time either way. */
  async login(email: string, password: string): Promise<Session> {
    const account = await this.#accounts.findByEmail(email);
    const valid = await verifyPassword(password, account?.passwordHash ?? (await DUMMY_HASH_PROMISE));
    if (!account || !valid) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'wrong email or password');
    return this.#session(account);
  }

  /** Exchanges a refresh token (once) for a new session; a replayed or expired token is refused. */
  async refresh(refreshToken: string): Promise<Session> {
    const accountId = await this.#refresh.take(sha256(refreshToken));
    const account = accountId ? await this.#accounts.get(accountId) : null;
    if (!account) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'session expired: please log in again');
    return this.#session(account);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.#refresh.take(sha256(refreshToken));
  }

  async #session(account: Account): Promise<Session> {
    const refreshToken = randomBytes(32).toString('base64url');
    // Only a hash is stored: a copy of Redis does not hand out sessions.
    await this.#refresh.save(sha256(refreshToken), account.id, this.#ttl.refreshS * 1000);
    return {
      accessToken: this.#tokens.practitioner({ sub: account.id, name: account.name, role: account.role }, this.#ttl.accessS),
      refreshToken,
      practitioner: { id: account.id, name: account.name, role: account.role },
    };
  }
}
