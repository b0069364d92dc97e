import { AuditAction, type AuditRecordView } from '@visita/protocol';

export { AuditAction };

/** One audit record before it is stored: ids only — never names, tokens or free text. */
export type AuditEvent = Omit<AuditRecordView, 'id'>;

/** A stored event with its stable, ordered id (the wire shape of `GET /api/audit`). */
export type AuditRecord = AuditRecordView;

export interface AuditQuery {
  /** Only this practitioner's consultations; all when absent (ops). */
  practitionerId?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/** Append-only audit log. Nothing is ever updated or deleted through this port. */
export interface AuditStore {
  /**
   * Appends; returns the record's id. With a `key`, a second append of that key (a retry) stores
   * nothing and returns null.
   */
  append(event: AuditEvent, key?: string): Promise<string | null>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
}

export const AUDIT_MAX_LIST = 10_000;
