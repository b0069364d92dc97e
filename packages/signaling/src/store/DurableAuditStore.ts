import { randomUUID } from 'node:crypto';
import type { DurableWrites } from '../redis/DurableWrites.ts';
import type { AuditEvent, AuditQuery, AuditRecord, AuditStore } from './AuditStore.ts';
import { RedisAuditStore } from './RedisAuditStore.ts';

/**
 * The audit log as signaling writes it: each record appended through DurableWrites with a key of
 * its own (a retry stores it once), so an outage or a failover loses none; read from `reads`.
 * Appends return null: a record kept to be tried again has no id yet.
 */
export class DurableAuditStore implements AuditStore {
  readonly #durable: DurableWrites;
  readonly #reads: AuditStore;

  constructor(durable: DurableWrites, reads: AuditStore) {
    this.#durable = durable;
    this.#reads = reads;
  }

  async append(event: AuditEvent): Promise<string | null> {
    const key = randomUUID();
    await this.#durable.run('audit', (redis) => new RedisAuditStore(redis).append(event, key));
    return null;
  }

  list(query: AuditQuery): Promise<AuditRecord[]> {
    return this.#reads.list(query);
  }
}
