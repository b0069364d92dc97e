// The practitioner's audit log (ops: everyone's): who did what to which consultation, ids only,
// newest first, with the JSON and CSV exports.
import { useEffect, useState } from 'react';
import type { AuditRecordView, VisitaError as RequestError } from '@visita/protocol';
import { api } from '../../lib/api.ts';
import { dateTime } from '../../lib/format.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { Panel } from '../../ui/Panel.tsx';

/** Shown on the page; the exports have everything. */
const SHOWN = 200;

export function AuditPage({ t }: { t: Strings }) {
  const [records, setRecords] = useState<AuditRecordView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.audit().then(
      (r) => setRecords(r.records),
      (e: RequestError) => setError(errorText(t, e.code)),
    );
  }, [t]);
  const fail = (e: RequestError) => setError(errorText(t, e.code));
  const newest = records ? [...records].reverse().slice(0, SHOWN) : [];
  return (
    <Panel title={t.auditTitle}>
      <p className="hint">{t.auditHelp}</p>
      <button className="secondary" data-testid="audit-json" onClick={() => void api.downloadAudit('json').catch(fail)}>
        {t.downloadJson}
      </button>
      <button className="secondary" data-testid="audit-csv" onClick={() => void api.downloadAudit('csv').catch(fail)}>
        {t.downloadCsv}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {records && records.length === 0 && <p>{t.auditEmpty}</p>}
      {newest.length > 0 && (
        <table className="usage" data-testid="audit">
          <thead>
            <tr>
              <th scope="col">{t.auditWhen}</th>
              <th scope="col">{t.auditAction}</th>
              <th scope="col">{t.auditWho}</th>
              <th scope="col">{t.consultationTitle}</th>
            </tr>
          </thead>
          <tbody>
            {newest.map((r) => (
              <tr key={r.id} data-testid="audit-record">
                <td>{dateTime(t.locale, r.at)}</td>
                <td>{t[`audit_${r.action}`] ?? r.action}</td>
                <td>{t[`role_${r.actorRole}`]}</td>
                <td>
                  <code>{r.consultationId.slice(0, 8)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {records && records.length > SHOWN && <p className="hint">{t.auditMore(records.length - SHOWN)}</p>}
    </Panel>
  );
}
