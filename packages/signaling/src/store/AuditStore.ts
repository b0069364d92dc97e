export const AuditAction = {
  CHECKED_IN: 'checked_in',
  ADMITTED: 'admitted',
  DECLINED: 'declined',
  JOINED_MEDIA: 'joined_media',
  MESSAGE_SENT: 'message_sent',
  EXPIRED: 'expired',
  ENDED: 'ended',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

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

export interface AuditRecord extends AuditEvent {
  /** Stable, ordered id (the Redis stream id). */
  id: string;
}

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
