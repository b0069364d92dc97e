import type { Redis } from 'ioredis';
import type { Account, AccountRole, AccountStore, RefreshTokenStore, TwoFactor } from './AccountStore.ts';

const accountKey = (id: string): string => `visita:account:${id}`;
const emailKey = (email: string): string => `visita:account-email:${email.toLowerCase()}`;
const refreshKey = (hash: string): string => `visita:refresh:${hash}`;

// KEYS[1] email index, KEYS[2] account hash; ARGV: id, then field/value pairs. 1 if created.
const CREATE = `
if redis.call('SETNX', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1`;

// Second factor, in the account hash: tfSecret (sealed), tfStep, tfRecovery (hashes, space-separated), tfPending.
// KEYS[1] account hash; ARGV: field/value pairs to set (none: remove the second factor). Never creates a hash.
const SET_TWO_FACTOR = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'tfSecret', 'tfStep', 'tfRecovery', 'tfPending')
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;
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

export class RedisAccountStore implements AccountStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async create(a: Account): Promise<boolean> {
    const fields = { id: a.id, email: a.email.toLowerCase(), name: a.name, role: a.role, passwordHash: a.passwordHash, createdAt: String(a.createdAt) };
    const created = await this.#redis.eval(CREATE, 2, emailKey(a.email), accountKey(a.id), a.id, ...Object.entries(fields).flat());
    return created === 1;
  }

  async get(id: string): Promise<Account | null> {
    const h = await this.#redis.hgetall(accountKey(id));
    if (!h['id']) return null;
    return {
      id: h['id'],
      email: h['email'] ?? '',
      name: h['name'] ?? '',
      role: (h['role'] ?? 'practitioner') as AccountRole,
      passwordHash: h['passwordHash'] ?? '',
      createdAt: Number(h['createdAt'] ?? 0),
      ...(h['tfSecret'] ? { twoFactor: { secretEnc: h['tfSecret'], lastStep: Number(h['tfStep'] ?? -1), recoveryHashes: (h['tfRecovery'] ?? '').split(' ').filter(Boolean) } } : {}),
      ...(h['tfPending'] ? { pendingTotpSecret: h['tfPending'] } : {}),
    };
  }

  async findByEmail(email: string): Promise<Account | null> {
    const id = await this.#redis.get(emailKey(email));
    return id ? this.get(id) : null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.#redis.hset(accountKey(id), 'passwordHash', passwordHash);
  }

  async setTwoFactor(id: string, tf: TwoFactor | null): Promise<void> {
    const fields = tf ? ['tfSecret', tf.secretEnc, 'tfStep', String(tf.lastStep), 'tfRecovery', tf.recoveryHashes.join(' ')] : [];
    await this.#redis.eval(SET_TWO_FACTOR, 1, accountKey(id), ...fields);
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
