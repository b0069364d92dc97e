import { useEffect, useState } from 'react';
import type { PractitionerUsage } from '@visita/protocol';
import { api } from '../../lib/api.ts';
import { dateTime, duration, money } from '../../lib/format.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import type { RequestError } from '../../lib/signaling.ts';
import { Panel } from '../../ui/Panel.tsx';

/** The practitioner's usage for a month (ops: everyone's), with the exports: the /usage page. */
export function UsagePanel({ t }: { t: Strings }) {
  const [period, setPeriod] = useState(() => new Date().toISOString().slice(0, 7));
  const [data, setData] = useState<PractitionerUsage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lang = t.locale;

  useEffect(() => {
    api.usage(period).then(
      (r) => setData(r.practitioners),
      (e: RequestError) => setError(errorText(t, e.code)),
    );
  }, [period, t]);

  // In date order, the latest first.
  const rows = (data?.flatMap((p) => p.consultations.map((c) => ({ ...c, currency: p.currency }))) ?? []).sort(
    (a, b) => b.endedAt - a.endedAt,
  );
  return (
    <Panel title={t.usage}>
      <section data-testid="usage">
        <label htmlFor="period">{t.month}</label>
        <input id="period" type="month" value={period} onChange={(e) => e.target.value && setPeriod(e.target.value)} />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {data && rows.length === 0 && <p>{t.noUsage}</p>}
        {rows.length > 0 && (
          <table className="usage">
            <thead>
              <tr>
                <th>{t.consultations}</th>
                <th>{t.billedTime}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.consultationId}>
                  <td>{dateTime(lang, r.endedAt)}</td>
                  <td>
                    {duration(lang, r.billedSeconds * 1000)}
                    {r.complete ? '' : ` (${t.inProgress})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {data?.map((p) => (
          <p key={p.practitionerId} data-testid="usage-total">
            {data.length > 1 && <>{p.practitionerId}: </>}
            <strong>
              {t.totalForMonth} {duration(lang, p.billedSeconds * 1000)} — {money(lang, p.amountCents, p.currency)}
            </strong>
          </p>
        ))}
        <button
          className="secondary"
          onClick={() =>
            void api.downloadUsage(period, 'csv').catch((e: RequestError) => setError(errorText(t, e.code)))
          }
        >
          {t.downloadCsv}
        </button>
        <button
          className="secondary"
          onClick={() =>
            void api.downloadUsage(period, 'meter-events').catch((e: RequestError) => setError(errorText(t, e.code)))
          }
        >
          {t.downloadMeterEvents}
        </button>
      </section>
    </Panel>
  );
}
