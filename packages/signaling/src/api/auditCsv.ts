import type { AuditRecord } from '../store/AuditStore.ts';

const COLUMNS = [
  'id',
  'at',
  'action',
  'actor_role',
  'actor_id',
  'consultation_id',
  'practitioner_id',
  'instance_id',
] as const;

/** RFC 4180 CSV of audit records (every field is an id, a code or a time: quoting is defensive). */
export function auditCsv(records: readonly AuditRecord[]): string {
  const q = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const rows = records.map((r) =>
    [
      r.id,
      new Date(r.at).toISOString(),
      r.action,
      r.actorRole,
      r.actorId,
      r.consultationId,
      r.practitionerId,
      r.instanceId,
    ]
      .map(q)
      .join(','),
  );
  return `${[COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
