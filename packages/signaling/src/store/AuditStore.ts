import { AuditAction, type AuditRecordView } from '@visita/protocol';

export { AuditAction };

/** One audit record: ids only — never names, tokens or free text. */
export interface AuditEvent {
  action: AuditAction;
  actorRole: 'patient' | 'practitioner' | 'system';
  actorId: string;
  consultationId: string;
  practitionerId: string;
  at: number;
  instanceId: string;
}

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
  append(event: AuditEvent): Promise<string>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
}

export const AUDIT_MAX_LIST = 10_000;
