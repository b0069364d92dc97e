import type { Redis } from 'ioredis';
import {
  AUDIT_MAX_LIST,
  type AuditAction,
  type AuditEvent,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
} from './AuditStore.ts';

export const AUDIT_STREAM = 'visita:audit';
export const AUDIT_PRACTITIONER_PATTERN = 'visita:audit:p:*';
const ALL = AUDIT_STREAM;
// Both streams in one step, with the same id: concurrent appends cannot interleave. KEYS[3] is
// the append's idempotency key (ARGV[1] = '1' when given): a retry of the same record writes nothing.
const APPEND = `
if ARGV[1] == '1' and not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ${24 * 3600_000}) then return false end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('XADD', KEYS[2], id, unpack(ARGV, 2))
return id`;
/** An append's idempotency key (kept a day: retries come within minutes). */
const appendKey = (key: string): string => `visita:audit:key:${key}`;
/** Stream ids carry Redis's clock; records are filtered on their own `at`, within this margin of it. */
const CLOCK_MARGIN_MS = 60_000;
const byPractitioner = (id: string): string => `visita:audit:p:${id}`;

/**
 * Redis streams (durable with AOF), trimmed by age (VISITA_AUDIT_RETENTION_DAYS, see retention.ts):
 * one for everything (ops) and one per practitioner, written in one transaction with the same id
 * so both views agree.
 */
export class RedisAuditStore implements AuditStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async append(e: AuditEvent, key?: string): Promise<string | null> {
    const fields = [
      'action',
      e.action,
      'actorRole',
      e.actorRole,
      'actorId',
      e.actorId,
      'consultationId',
      e.consultationId,
      'practitionerId',
      e.practitionerId,
      'at',
      String(e.at),
      'instanceId',
      e.instanceId,
    ];
    const id = await this.#redis.eval(
      APPEND,
      3,
      ALL,
      byPractitioner(e.practitionerId),
      appendKey(key ?? 'none'),
      key === undefined ? '0' : '1',
      ...fields,
    );
    return (id as string | null) ?? null;
  }

  async list(q: AuditQuery): Promise<AuditRecord[]> {
    const key = q.practitionerId ? byPractitioner(q.practitionerId) : ALL;
    const start = q.from === undefined ? '-' : String(Math.max(0, q.from - CLOCK_MARGIN_MS));
    const end = q.to === undefined ? '+' : String(q.to + CLOCK_MARGIN_MS);
    const limit = Math.min(q.limit ?? AUDIT_MAX_LIST, AUDIT_MAX_LIST);
    const rows = await this.#redis.xrange(key, start, end);
    const records = rows.map(([id, flat]): AuditRecord => {
      const f: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
      return {
        id,
        action: f['action'] as AuditAction,
        actorRole: f['actorRole'] as AuditRecord['actorRole'],
        actorId: f['actorId'] ?? '',
        consultationId: f['consultationId'] ?? '',
        practitionerId: f['practitionerId'] ?? '',
        at: Number(f['at']),
        instanceId: f['instanceId'] ?? '',
      };
    });
    return records
      .filter((r) => (q.from === undefined || r.at >= q.from) && (q.to === undefined || r.at <= q.to))
      .slice(0, limit);
  }
}
