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
// KEYS[1] account hash; ARGV: the seal read before, the new seal, the password hash. 1 if applied.
const SET_PASSWORD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'seal') or '') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'seal', ARGV[2], 'passwordHash', ARGV[3])
return 1`;
/** Attempts of a compare-and-set that lost to a concurrent change of the same account. */
const CAS_ATTEMPTS = 5;
// KEYS[1] account hash; ARGV[1] sealed secret, or '' to clear.
const SET_PENDING = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then redis.call('HDEL', KEYS[1], 'tfPending') else redis.call('HSET', KEYS[1], 'tfPending', ARGV[1]) end
return 1`;
// KEYS[1] account hash; ARGV[1] step. 1 if recorded (2FA enabled and the step later than the last).
const ACCEPT_STEP = `
if redis.call('HEXISTS', KEYS[1], 'tfSecret') == 0 then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'tfStep') or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('HSET', KEYS[1], 'tfStep', ARGV[1])
return 1`;
// KEYS[1] account hash; ARGV candidate hashes. 1 if one was unused (and is now removed).
const CONSUME_RECOVERY = `
local list = redis.call('HGET', KEYS[1], 'tfRecovery')
if not list or redis.call('HEXISTS', KEYS[1], 'tfSecret') == 0 then return 0 end
local kept, found = {}, false
for h in string.gmatch(list, '%S+') do
  local match = false
  if not found then for i = 1, #ARGV do if h == ARGV[i] then match = true end end end
  if match then found = true else kept[#kept + 1] = h end
end
if not found then return 0 end
redis.call('HSET', KEYS[1], 'tfRecovery', table.concat(kept, ' '))
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
    };
    const { tfSecret: _none, ...stored } = fields;
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
    const h = await this.#redis.hgetall(accountKey(id));
    if (!h['id']) return null;
    if (!this.#seal.verify(sealedFields(h), h['seal'] ?? '')) {
      this.#onTampered(h['id']);
      return null;
    }
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
              lastStep: Number(h['tfStep'] ?? -1),
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
      (before, after) => [SET_PASSWORD, before, after, passwordHash],
    );
  }

  async setTwoFactor(id: string, tf: TwoFactor | null): Promise<void> {
    const fields = tf
      ? ['tfSecret', tf.secretEnc, 'tfStep', String(tf.lastStep), 'tfRecovery', tf.recoveryHashes.join(' ')]
      : [];
    await this.#reseal(
      id,
      (h) => ({ ...sealedFields(h), tfSecret: tf?.secretEnc ?? '' }),
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
      } else if (!this.#seal.verify(sealedFields(h), h['seal'])) {
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
    return (await this.#redis.eval(ACCEPT_STEP, 1, accountKey(id), String(step))) === 1;
  }

  async consumeRecoveryCode(id: string, candidates: readonly string[]): Promise<boolean> {
    if (candidates.length === 0) return false;
    return (await this.#redis.eval(CONSUME_RECOVERY, 1, accountKey(id), ...candidates)) === 1;
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
  };
}

export class RedisRefreshTokenStore implements RefreshTokenStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async save(tokenHash: string, accountId: string, ttlMs: number): Promise<void> {
    await this.#redis.set(refreshKey(tokenHash), accountId, 'PX', ttlMs);
  }

  async take(tokenHash: string): Promise<string | null> {
    return this.#redis.getdel(refreshKey(tokenHash));
  }
}
