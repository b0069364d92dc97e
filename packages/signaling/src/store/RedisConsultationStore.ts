import type { Redis } from 'ioredis';
import { ConsultationState, EndReason, type PatientDevices } from '@visita/protocol';
import type { Consultation } from '../domain/consultation.ts';
import type { ConsultationStore, PatientRecord } from './ConsultationStore.ts';
import { Retention } from './retention.ts';

/** Each practitioner's consultations, by creation time (entries whose record expired are trimmed). */
export const CONSULTATION_INDEX_PATTERN = 'visita:practitioner:*:consultations';

const key = (id: string): string => `visita:consultation:${id}`;
const byPractitioner = (id: string): string => `visita:practitioner:${id}:consultations`;
const inCall = (id: string): string => `visita:practitioner:${id}:in_call`;
/** The practitioner's consultations not ended: member = id, score = when its record expires. */
const openSet = (id: string): string => `visita:practitioner:${id}:open`;
const IN_CALL = 'visita:in_call';
/** Every consultation in a call, all practitioners (a set). */
export const IN_CALL_SET = IN_CALL;
/** Every record expires (it holds the patient's name): see Retention. */
export const consultationKey = key;

// KEYS[1] record, KEYS[2] the practitioner's index, KEYS[3] their open set; ARGV: id, createdAt,
// record TTL (ms), maxOpen, then the record's field/value pairs. 1 created, 0 too many open (the
// entries whose record expired are dropped first), -1 the id exists.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 0 end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return 1`;

// KEYS[1] record, KEYS[2] the practitioner's in-call set, KEYS[3] every consultation in a call,
// KEYS[4] the practitioner's open set (an ended consultation leaves it);
// ARGV: id, expected state, expected node ('' outside a call), then the next record's field/value
// pairs (state first). Returns the stored link version when applied (a revocation made between the
// read and this write is kept: linkVersion is never among the pairs), nil when not.
const CAS = `
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[2] then return nil end
if (redis.call('HGET', KEYS[1], 'nodeId') or '') ~= ARGV[3] then return nil end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[5] == 'in_call' then
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[1])
else
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
end
if ARGV[5] == 'ended' then redis.call('ZREM', KEYS[4], ARGV[1]) end
return redis.call('HGET', KEYS[1], 'linkVersion')`;

/** Fields a transition never writes: the identity, the state (sent first), the link version (revocations). */
const FIXED = new Set(['id', 'practitionerId', 'state', 'linkVersion']);

export class RedisConsultationStore implements ConsultationStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async create(c: Consultation, maxOpen = Number.MAX_SAFE_INTEGER): Promise<boolean> {
    // Kept OPEN_CONSULTATION_MS from now, or from the appointment if it is later.
    const ttlMs = Retention.OPEN_CONSULTATION_MS + Math.max(0, (c.scheduledAt ?? c.createdAt) - c.createdAt);
    const created = await this.#redis.eval(
      CREATE,
      3,
      key(c.id),
      byPractitioner(c.practitionerId),
      openSet(c.practitionerId),
      c.id,
      String(c.createdAt),
      String(ttlMs),
      String(maxOpen),
      ...Object.entries(serialize(c)).flat(),
    );
    if (created === -1) throw new Error(`consultation ${c.id} already exists`);
    return created === 1;
  }

  async listByPractitioner(practitionerId: string, limit: number): Promise<Consultation[]> {
    const ids = await this.#redis.zrevrange(byPractitioner(practitionerId), 0, limit - 1);
    const all = await Promise.all(ids.map((id) => this.get(id)));
    return all.filter((c): c is Consultation => c !== null);
  }

  async get(id: string): Promise<Consultation | null> {
    const h = await this.#redis.hgetall(key(id));
    return h['id'] ? parseConsultation(h) : null;
  }

  async compareAndSet(expected: Consultation, next: Consultation): Promise<Consultation | null> {
    if (next.id !== expected.id || next.practitionerId !== expected.practitionerId) return null;
    const fields = serialize(next);
    const args: string[] = [expected.id, expected.state, expected.state === 'in_call' ? expected.nodeId : ''];
    args.push('state', next.state);
    for (const [k, v] of Object.entries(fields)) if (!FIXED.has(k)) args.push(k, v);
    const linkVersion = await this.#redis.eval(
      CAS,
      4,
      key(expected.id),
      inCall(expected.practitionerId),
      IN_CALL,
      openSet(expected.practitionerId),
      ...args,
    );
    if (typeof linkVersion !== 'string') return null;
    if (next.state === ConsultationState.ENDED)
      await this.#redis.pexpire(key(next.id), Retention.ENDED_CONSULTATION_MS);
    return { ...next, linkVersion: Number(linkVersion) };
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

  async setPatient(id: string, name: string, reason?: string | null, devices?: PatientDevices): Promise<void> {
    await this.#redis.hset(
      key(id),
      'patientName',
      name,
      ...(reason === undefined ? [] : ['patientReason', reason ?? '']),
      ...(devices ? ['patientDevices', `${devices.camera ? 'c' : ''}${devices.microphone ? 'm' : ''}-`] : []),
    );
  }

  async getPatient(id: string): Promise<PatientRecord> {
    const [name, reason, devices] = await this.#redis.hmget(key(id), 'patientName', 'patientReason', 'patientDevices');
    return {
      name: name || null,
      reason: reason || null,
      // Stored as the letters of what was shared ('c' camera, 'm' microphone), then '-'.
      devices: devices ? { camera: devices.includes('c'), microphone: devices.includes('m') } : null,
    };
  }
}

/** Every field of every state, '' where the state has none (a transition overwrites them all). */
function serialize(c: Consultation): Record<string, string> {
  const opt = (v: number | string | null | undefined): string => (v === null || v === undefined ? '' : String(v));
  return {
    id: c.id,
    practitionerId: c.practitionerId,
    state: c.state,
    createdAt: String(c.createdAt),
    scheduledAt: opt(c.scheduledAt),
    linkVersion: String(c.linkVersion),
    nodeId: c.state === 'in_call' ? c.nodeId : '',
    admittedAt: opt(c.state === 'in_call' || c.state === 'ended' ? c.admittedAt : null),
    endedAt: c.state === 'ended' ? String(c.endedAt) : '',
    endReason: c.state === 'ended' ? c.endReason : '',
  };
}

/**
 * The record read back, checked field by field: a hash that is not a well-formed consultation
 * (written by hand, half-expired, or by an older version) reads as absent rather than as a state
 * the machine would act on.
 */
export function parseConsultation(h: Record<string, string>): Consultation | null {
  const int = (v: string | undefined): number | null => (v !== undefined && /^-?\d{1,16}$/.test(v) ? Number(v) : null);
  const id = h['id'];
  const practitionerId = h['practitionerId'];
  const createdAt = int(h['createdAt']);
  const linkVersion = int(h['linkVersion']);
  const scheduledAt = h['scheduledAt'] ? int(h['scheduledAt']) : null;
  if (!id || !practitionerId || createdAt === null || linkVersion === null) return null;
  if (h['scheduledAt'] && scheduledAt === null) return null;
  const base = { id, practitionerId, createdAt, scheduledAt, linkVersion };
  switch (h['state']) {
    case ConsultationState.SCHEDULED:
      return scheduledAt === null ? null : { ...base, state: 'scheduled', scheduledAt };
    case ConsultationState.WAITING:
      return { ...base, state: 'waiting' };
    case ConsultationState.IN_CALL: {
      const admittedAt = int(h['admittedAt']);
      const nodeId = h['nodeId'];
      return admittedAt === null || !nodeId ? null : { ...base, state: 'in_call', nodeId, admittedAt };
    }
    case ConsultationState.ENDED: {
      const endedAt = int(h['endedAt']);
      const endReason = h['endReason'] as EndReason;
      if (endedAt === null || !Object.values(EndReason).includes(endReason)) return null;
      return { ...base, state: 'ended', endedAt, endReason, admittedAt: h['admittedAt'] ? int(h['admittedAt']) : null };
    }
    default:
      return null;
  }
}
