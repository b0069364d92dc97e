import { AUDIT_MAX_LIST, type AuditEvent, type AuditQuery, type AuditRecord, type AuditStore } from './AuditStore.ts';

/** In-memory twin of RedisAuditStore (ids mimic stream ids: time-sequence). */
export class MemoryAuditStore implements AuditStore {
  readonly #records: AuditRecord[] = [];
  #seq = 0;
  readonly #keys = new Set<string>();

  async append(event: AuditEvent, key?: string): Promise<string | null> {
    if (key !== undefined) {
      if (this.#keys.has(key)) return null;
      this.#keys.add(key);
    }
    const id = `${event.at}-${this.#seq++}`;
    this.#records.push({ ...event, id });
    return id;
  }

  async list(q: AuditQuery): Promise<AuditRecord[]> {
    return this.#records
      .filter(
        (r) =>
          (!q.practitionerId || r.practitionerId === q.practitionerId) &&
          (q.from === undefined || r.at >= q.from) &&
          (q.to === undefined || r.at <= q.to),
      )
      .slice(0, Math.min(q.limit ?? AUDIT_MAX_LIST, AUDIT_MAX_LIST));
  }
}
