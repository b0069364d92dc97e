import type { Redis } from 'ioredis';
import type { Account, AccountRole, AccountStore, RefreshTokenStore } from './AccountStore.ts';

const accountKey = (id: string): string => `visita:account:${id}`;
const emailKey = (email: string): string => `visita:account-email:${email.toLowerCase()}`;
const refreshKey = (hash: string): string => `visita:refresh:${hash}`;

// KEYS[1] email index, KEYS[2] account hash; ARGV: id, then field/value pairs. 1 if created.
const CREATE = `
if redis.call('SETNX', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
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
    };
  }

  async findByEmail(email: string): Promise<Account | null> {
    const id = await this.#redis.get(emailKey(email));
    return id ? this.get(id) : null;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.#redis.hset(accountKey(id), 'passwordHash', passwordHash);
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
