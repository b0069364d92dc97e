import type { Redis } from 'ioredis';
import { ErrorCode, VisitaError } from '@visita/protocol';
import {
  AccountRole,
  type Account,
  type AccountStore,
  type RefreshTokenStore,
  type TwoFactor,
} from './AccountStore.ts';
import type { AccountSeal, SealedFields } from '../accounts/accountSeal.ts';

const accountKey = (id: string): string => `visita:account:${id}`;
const emailKey = (email: string): string => `visita:account-email:${email.toLowerCase()}`;
const refreshKey = (hash: string): string => `visita:refresh:${hash}`;

// KEYS[1] email index, KEYS[2] account hash; ARGV: id, then field/value pairs. 1 if created.
const CREATE = `
if redis.call('SETNX', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1`;

// Second factor, in the account hash: tfSecret (sealed), tfStep, tfRecovery (hashes, space-separated), tfPending.
// KEYS[1] account hash; ARGV[1] the seal read before (compare-and-set), ARGV[2] the new seal, then
// field/value pairs to set (none: remove the second factor). Never creates a hash. 1 if applied.
const SET_TWO_FACTOR = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'seal') or '') ~= ARGV[1] then return -1 end
redis.call('HDEL', KEYS[1], 'tfSecret', 'tfStep', 'tfRecovery', 'tfPending')
redis.call('HSET', KEYS[1], 'seal', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;
// KEYS[1] account hash; ARGV: the seal read before, the new seal, then field/value pairs. 1 if applied.
const SET_SEALED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'seal') or '') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'seal', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;
/** Attempts of a compare-and-set that lost to a concurrent change of the same account. */
const CAS_ATTEMPTS = 5;
// KEYS[1] account hash; ARGV[1] sealed secret, or '' to clear.
const SET_PENDING = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'tfPending') else redis.call('HSET', KEYS[1], 'tfPending', ARGV[1]) end
return 1`;
/**
 * Accounts as Redis hashes, each sealed (accountSeal.ts): a record whose seal does not verify is
 * read as no account (and reported to `onTampered`), so writing into Redis grants nothing.
 */
export class RedisAccountStore implements AccountStore {
  readonly #redis: Redis;
  readonly #seal: AccountSeal;
  readonly #onTampered: (accountId: string) => void;

  constructor(redis: Redis, seal: AccountSeal, onTampered: (accountId: string) => void = () => undefined) {
    this.#redis = redis;
    this.#seal = seal;
    this.#onTampered = onTampered;
  }

  async create(a: Account): Promise<boolean> {
    const fields: SealedFields = {
      id: a.id,
      email: a.email.toLowerCase(),
      name: a.name,
      role: a.role,
      passwordHash: a.passwordHash,
      createdAt: String(a.createdAt),
      tfSecret: '',
      tfStep: '',
      tfRecovery: '',
    };
    const { tfSecret: _s, tfStep: _t, tfRecovery: _r, ...stored } = fields;
    const created = await this.#redis.eval(
      CREATE,
      2,
      emailKey(a.email),
      accountKey(a.id),
      a.id,
      ...Object.entries({ ...stored, seal: this.#seal.seal(fields) }).flat(),
    );
    return created === 1;
  }

  async get(id: string): Promise<Account | null> {
    const h = await this.#verified(id);
    if (!h?.['id']) return null;
    return {
      id: h['id'],
      email: h['email'] ?? '',
      name: h['name'] ?? '',
      role: (h['role'] ?? 'practitioner') as AccountRole,
      passwordHash: h['passwordHash'] ?? '',
      createdAt: Number(h['createdAt'] ?? 0),
      ...(h['tfSecret']
        ? {
            twoFactor: {
              secretEnc: h['tfSecret'],
              lastStep: Number(h['tfStep'] || -1),
              recoveryHashes: (h['tfRecovery'] ?? '').split(' ').filter(Boolean),
            },
          }
        : {}),
      ...(h['tfPending'] ? { pendingTotpSecret: h['tfPending'] } : {}),
    };
  }

  async findByEmail(email: string): Promise<Account | null> {
    const id = await this.idByEmail(email);
    return id ? this.get(id) : null;
  }

  idByEmail(email: string): Promise<string | null> {
    return this.#redis.get(emailKey(email));
  }

  /**
   * Sets the password. A record from before records were sealed (no seal) is sealed now, as a
   * practitioner; one whose seal does not verify is refused (re-create that account).
   */
  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.#reseal(
      id,
      (h) => ({ ...sealedFields(h), passwordHash }),
      (before, after) => [SET_SEALED, before, after, 'passwordHash', passwordHash],
    );
  }

  async setTwoFactor(id: string, tf: TwoFactor | null): Promise<void> {
    const fields = tf
      ? ['tfSecret', tf.secretEnc, 'tfStep', String(tf.lastStep), 'tfRecovery', tf.recoveryHashes.join(' ')]
      : [];
    await this.#reseal(
      id,
      (h) => ({
        ...sealedFields(h),
        tfSecret: tf?.secretEnc ?? '',
        tfStep: tf ? String(tf.lastStep) : '',
        tfRecovery: tf?.recoveryHashes.join(' ') ?? '',
      }),
      (before, after) => [SET_TWO_FACTOR, before, after, ...fields],
    );
  }

  /** Applies a change of sealed fields with a new seal, compare-and-set on the seal read. */
  async #reseal(
    id: string,
    change: (h: Record<string, string>) => SealedFields,
    script: (before: string, after: string) => string[],
  ): Promise<void> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const h = await this.#redis.hgetall(accountKey(id));
      if (!h['id']) return;
      if (h['seal'] === undefined) {
        // Unsealed (older than sealing, or its seal deleted): never more than a practitioner.
        h['role'] = AccountRole.PRACTITIONER;
        await this.#redis.hset(accountKey(id), 'role', AccountRole.PRACTITIONER);
      } else if (this.#seal.verify(sealedFields(h), h['seal']) === false) {
        this.#onTampered(id);
        throw new VisitaError(
          ErrorCode.INVALID_STATE,
          'this account record was changed outside Visita; it is not sealed again: re-create the account',
        );
      }
      const [lua, ...args] = script(h['seal'] ?? '', this.#seal.seal(change(h)));
      if ((await this.#redis.eval(lua!, 1, accountKey(id), ...args)) !== -1) return;
    }
    throw new Error(`account ${id} kept changing; try again`);
  }

  async setPendingTotpSecret(id: string, secretEnc: string | null): Promise<void> {
    await this.#redis.eval(SET_PENDING, 1, accountKey(id), secretEnc ?? '');
  }

  async acceptTotpStep(id: string, step: number): Promise<boolean> {
    return this.#changeSecondFactor(id, (h) => {
      if (step <= Number(h['tfStep'] || -1)) return null;
      return ['tfStep', String(step)];
    });
  }

  async consumeRecoveryCode(id: string, candidates: readonly string[]): Promise<boolean> {
    return this.#changeSecondFactor(id, (h) => {
      const hashes = (h['tfRecovery'] ?? '').split(' ').filter(Boolean);
      const i = hashes.findIndex((x) => candidates.includes(x));
      if (i < 0) return null;
      return ['tfRecovery', hashes.filter((_, j) => j !== i).join(' ')];
    });
  }

  /**
   * A sealed change of the second factor's step or recovery codes (a code spent), made only on a
   * record that verifies and has a second factor, compare-and-set on its seal: of two requests
   * spending the same code, one wins. `change` gives the field to set, or null (nothing to spend).
   */
  async #changeSecondFactor(
    id: string,
    change: (h: Record<string, string>) => [string, string] | null,
  ): Promise<boolean> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const h = await this.#verified(id);
      if (!h?.['tfSecret']) return false;
      const set = change(h);
      if (!set) return false;
      const after = this.#seal.seal(sealedFields({ ...h, [set[0]]: set[1] }));
      const applied = await this.#redis.eval(SET_SEALED, 1, accountKey(id), h['seal'] ?? '', after, ...set);
      if (applied !== -1) return applied === 1;
    }
    return false;
  }

  /**
   * The account's hash if its seal verifies (a record sealed by the first version is sealed again
   * at once, covering its second factor's step and recovery codes); null, reported, otherwise.
   */
  async #verified(id: string): Promise<Record<string, string> | null> {
    const h = await this.#redis.hgetall(accountKey(id));
    if (!h['id']) return null;
    const verdict = this.#seal.verify(sealedFields(h), h['seal'] ?? '');
    if (verdict === false) {
      this.#onTampered(h['id']);
      return null;
    }
    if (verdict === 'legacy') {
      const after = this.#seal.seal(sealedFields(h));
      await this.#redis.eval(SET_SEALED, 1, accountKey(id), h['seal'] ?? '', after);
      h['seal'] = after;
    }
    return h;
  }
}

function sealedFields(h: Record<string, string>): SealedFields {
  return {
    id: h['id'] ?? '',
    email: h['email'] ?? '',
    name: h['name'] ?? '',
    role: h['role'] ?? '',
    passwordHash: h['passwordHash'] ?? '',
    createdAt: h['createdAt'] ?? '',
    tfSecret: h['tfSecret'] ?? '',
    tfStep: h['tfStep'] ?? '',
    tfRecovery: h['tfRecovery'] ?? '',
  };
}

/** A keyed hash: SecretBox's (the current key makes it, any listed key verifies it). */
export interface KeyedHash {
  hash(message: string): string;
  hashes(message: string): string[];
}

const refreshText = (tokenHash: string, holder: string, expiresAt: number): string =>
  `visita/refresh/v1\n${JSON.stringify([tokenHash, holder, expiresAt])}`;

/**
 * Refresh tokens' records, each sealed: a keyed hash over the token's hash (its key), its holder
 * (account and session) and its expiry. A record written into Redis without the key (a session
 * minted for any account, an expiry pushed back, a record moved to another token) is refused,
 * and reported to `onTampered`: writing into Redis grants nothing.
 */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  readonly #redis: Redis;
  readonly #keyed: KeyedHash;
  readonly #onTampered: () => void;
  readonly #now: () => number;

  constructor(redis: Redis, keyed: KeyedHash, onTampered: () => void = () => undefined, now: () => number = Date.now) {
    this.#redis = redis;
    this.#keyed = keyed;
    this.#onTampered = onTampered;
    this.#now = now;
  }

  async save(tokenHash: string, holder: string, ttlMs: number): Promise<void> {
    const expiresAt = this.#now() + ttlMs;
    const record = JSON.stringify({
      h: holder,
      e: expiresAt,
      s: this.#keyed.hash(refreshText(tokenHash, holder, expiresAt)),
    });
    await this.#redis.set(refreshKey(tokenHash), record, 'PX', ttlMs);
  }

  async take(tokenHash: string): Promise<string | null> {
    const raw = await this.#redis.getdel(refreshKey(tokenHash));
    if (raw === null) return null;
    const record = parseRecord(raw);
    if (!record || !this.#keyed.hashes(refreshText(tokenHash, record.h, record.e)).includes(record.s)) {
      this.#onTampered();
      return null;
    }
    return record.e > this.#now() ? record.h : null;
  }
}

function parseRecord(raw: string): { h: string; e: number; s: string } | null {
  try {
    const r: unknown = JSON.parse(raw);
    if (typeof r !== 'object' || r === null) return null;
    const { h, e, s } = r as Record<string, unknown>;
    return typeof h === 'string' && typeof e === 'number' && typeof s === 'string' ? { h, e, s } : null;
  } catch {
    return null;
  }
}
