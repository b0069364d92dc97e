import type { Redis } from 'ioredis';
import { ConsultationState } from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';
import type { ConsultationStore } from './ConsultationStore.ts';
import { Retention } from './retention.ts';

/** Each practitioner's consultations, by creation time (entries whose record expired are trimmed). */
export const CONSULTATION_INDEX_PATTERN = 'visita:practitioner:*:consultations';

const key = (id: string): string => `visita:consultation:${id}`;
const byPractitioner = (id: string): string => `visita:practitioner:${id}:consultations`;
const inCall = (id: string): string => `visita:practitioner:${id}:in_call`;
const IN_CALL = 'visita:in_call';
/** Every record expires (it holds the patient's name): see Retention. */
export const consultationKey = key;

// KEYS[1] record, KEYS[2] the practitioner's in-call set, KEYS[3] every consultation in a call;
// ARGV: id, from, to, then field/value pairs to set. Returns 1 when applied.
const CAS = `
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[3] == 'in_call' then
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[1])
else
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
end
return 1`;

export class RedisConsultationStore implements ConsultationStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async create(c: Consultation): Promise<void> {
    const created = await this.#redis.hsetnx(key(c.id), 'id', c.id);
    if (!created) throw new Error(`consultation ${c.id} already exists`);
    // Kept OPEN_CONSULTATION_MS from now, or from the appointment if it is later.
    const ttlMs = Retention.OPEN_CONSULTATION_MS + Math.max(0, (c.scheduledAt ?? c.createdAt) - c.createdAt);
    await this.#redis
      .multi()
      .hset(key(c.id), serialize(c))
      .pexpire(key(c.id), ttlMs)
      .zadd(byPractitioner(c.practitionerId), c.createdAt, c.id)
      .exec();
  }

  async listByPractitioner(practitionerId: string, limit: number): Promise<Consultation[]> {
    const ids = await this.#redis.zrevrange(byPractitioner(practitionerId), 0, limit - 1);
    const all = await Promise.all(ids.map((id) => this.get(id)));
    return all.filter((c): c is Consultation => c !== null);
  }

  async get(id: string): Promise<Consultation | null> {
    const h = await this.#redis.hgetall(key(id));
    return h['id'] ? deserialize(h) : null;
  }

  async compareAndSet(
    id: string,
    from: ConsultationState,
    to: ConsultationState,
    patch: Partial<Pick<Consultation, 'nodeId' | 'admittedAt' | 'endedAt'>>,
  ): Promise<Consultation | null> {
    const practitionerId = await this.#redis.hget(key(id), 'practitionerId');
    if (!practitionerId) return null;
    const args: string[] = [id, from, to];
    for (const [k, v] of Object.entries(patch)) args.push(k, v === null || v === undefined ? '' : String(v));
    const applied = await this.#redis.eval(CAS, 3, key(id), inCall(practitionerId), IN_CALL, ...args);
    if (applied !== 1) return null;
    if (to === ConsultationState.ENDED) await this.#redis.pexpire(key(id), Retention.ENDED_CONSULTATION_MS);
    return this.get(id);
  }

  async hasCallInProgress(practitionerId: string): Promise<boolean> {
    return (await this.#redis.scard(inCall(practitionerId))) > 0;
  }

  inCallIds(): Promise<string[]> {
    return this.#redis.smembers(IN_CALL);
  }

  async revokeLinks(id: string): Promise<number> {
    return this.#redis.hincrby(key(id), 'linkVersion', 1);
  }

  async setNode(id: string, nodeId: string | null): Promise<void> {
    await this.#redis.hset(key(id), 'nodeId', nodeId ?? '');
  }

  async setPatientName(id: string, name: string): Promise<void> {
    await this.#redis.hset(key(id), 'patientName', name);
  }

  async getPatientName(id: string): Promise<string | null> {
    return (await this.#redis.hget(key(id), 'patientName')) || null;
  }
}

function serialize(c: Consultation): Record<string, string> {
  return {
    id: c.id,
    practitionerId: c.practitionerId,
    state: c.state,
    createdAt: String(c.createdAt),
    scheduledAt: c.scheduledAt === null ? '' : String(c.scheduledAt),
    linkVersion: String(c.linkVersion),
    nodeId: c.nodeId ?? '',
    admittedAt: c.admittedAt === null ? '' : String(c.admittedAt),
    endedAt: c.endedAt === null ? '' : String(c.endedAt),
  };
}

function deserialize(h: Record<string, string>): Consultation {
  const num = (v: string | undefined): number | null => (v ? Number(v) : null);
  return {
    id: h['id'] ?? '',
    practitionerId: h['practitionerId'] ?? '',
    state: (h['state'] ?? ConsultationState.WAITING) as ConsultationState,
    createdAt: Number(h['createdAt'] ?? 0),
    scheduledAt: num(h['scheduledAt']),
    linkVersion: Number(h['linkVersion'] ?? 0),
    nodeId: h['nodeId'] || null,
    admittedAt: num(h['admittedAt']),
    endedAt: num(h['endedAt']),
  };
}
