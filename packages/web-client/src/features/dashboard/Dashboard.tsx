// The practitioner's dashboard: the live waiting room, new consultations and their links, the
// open consultations, and the ended ones archived below.
import { useCallback, useEffect, useState } from 'react';
import type { ConsultationView, QueueEntryView } from '@visita/protocol';
import type { VisitaError as RequestError } from '@visita/protocol';
import { api } from '../../lib/api.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { connectSignaling, request, type SignalingSocket } from '../../lib/signaling.ts';
import { refreshed, sessionToken, type Session } from '../../lib/session.ts';
import { Panel } from '../../ui/Panel.tsx';
import { ServiceBanner } from '../../ui/ServiceBanner.tsx';
import { SecurityPanel } from '../auth/SecurityPanel.tsx';

export function Dashboard({
  t,
  session,
  onOpen,
  onLogout,
}: {
  t: Strings;
  session: Session;
  onOpen: (consultationId: string) => void;
  onLogout: () => void;
}) {
  const [list, setList] = useState<ConsultationView[]>([]);
  const [links, setLinks] = useState<Record<string, string>>(() =>
    JSON.parse(localStorage.getItem('visita.links') ?? '{}'),
  );
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    api.consultations().then(
      (r) => setList(r.consultations),
      (e: RequestError) => (e.code === 'UNAUTHENTICATED' ? onLogout() : setError(errorText(t, e.code))),
    );
  }, [onLogout, t]);
  useEffect(refresh, [refresh]);

  const create = () => {
    api.createConsultation().then(
      (r) => {
        const next = { ...links, [r.consultationId]: r.patientLink };
        localStorage.setItem('visita.links', JSON.stringify(next));
        setLinks(next);
        refresh();
      },
      (e: RequestError) => setError(errorText(t, e.code)),
    );
  };

  const open = list.filter((c) => c.state !== 'ended');
  const archived = list.filter((c) => c.state === 'ended');
  const row = (c: ConsultationView) => (
    <li key={c.consultationId} data-testid="consultation">
      <span className={`badge ${c.state}`}>{t[`state_${c.state}`]}</span>
      <strong>{c.patientName ?? t.noNameYet}</strong>
      <span className="hint">{new Date(c.createdAt).toLocaleString(t.locale)}</span>
      {c.state !== 'ended' && links[c.consultationId] && <LinkBox t={t} link={links[c.consultationId]!} />}
      {c.state !== 'ended' && (
        <button data-testid="open-consultation" onClick={() => onOpen(c.consultationId)}>
          {t.open}
        </button>
      )}
    </li>
  );
  return (
    <Panel title={t.dashboardTitle} heading={`${t.doctorTitle} — ${session.name}`}>
      <button data-testid="new-consultation" onClick={create}>
        {t.newConsultation}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <PractitionerQueue t={t} onOpen={onOpen} />
      <h2>{t.consultations}</h2>
      {open.length === 0 ? <p>{t.noOpenConsultation}</p> : <ul className="consultations">{open.map(row)}</ul>}
      {archived.length > 0 && (
        <details data-testid="archive">
          <summary>{t.archive(archived.length)}</summary>
          <ul className="consultations">{archived.map(row)}</ul>
        </details>
      )}
      <SecurityPanel t={t} />
    </Panel>
  );
}

/** The practitioner's queue, live across tabs and instances. */
function PractitionerQueue({ t, onOpen }: { t: Strings; onOpen: (consultationId: string) => void }) {
  const [entries, setEntries] = useState<QueueEntryView[]>([]);
  const [total, setTotal] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [socket, setSocket] = useState<SignalingSocket | null>(null);
  useEffect(() => {
    const s = connectSignaling(sessionToken, refreshed);
    setSocket(s);
    s.on('queue:updated', (q) => {
      setEntries(q.entries);
      setTotal(q.total);
    });
    s.on('connect', () => {
      if (s.recovered) return;
      request(s, 'queue:watch', {}).then(
        (q) => {
          setEntries(q.entries);
          setTotal(q.total);
        },
        () => undefined,
      );
    });
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => {
      clearInterval(timer);
      s.close();
    };
  }, []);
  return (
    <section aria-labelledby="queue-heading">
      <h2 id="queue-heading">
        {t.waitingRoom}
        {total > 0 && ` (${total})`}
      </h2>
      <ServiceBanner t={t} socket={socket} />
      {entries.length === 0 ? (
        <p>{t.emptyWaitingRoom}</p>
      ) : (
        <ol className="consultations" data-testid="queue">
          {entries.map((e) => (
            <li key={e.consultationId} data-testid="queue-entry">
              <strong>{e.patientName}</strong>
              <span>{t.since(Math.max(0, Math.floor((now - e.checkedInAt) / 60_000)))}</span>
              {e.reason && <em>{e.reason}</em>}
              {e.deviceCheck && !(e.deviceCheck.camera && e.deviceCheck.microphone) && (
                <span className="badge warn">{t.deviceProblem}</span>
              )}
              {(e.deviceCheck?.network === 'poor' || e.deviceCheck?.network === 'failed') && (
                <span className="badge warn" data-testid="network-badge">
                  {t[`networkBadge_${e.deviceCheck.network}`]}
                </span>
              )}
              {!e.present && <span className="badge">{t.offline}</span>}
              <button onClick={() => onOpen(e.consultationId)} aria-label={`${t.open}: ${e.patientName}`}>
                {t.open}
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function LinkBox({ t, link }: { t: Strings; link: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="link">
      <input
        readOnly
        value={link}
        data-testid="patient-link"
        aria-label={t.patientLink}
        onFocus={(e) => e.target.select()}
      />
      <button
        className="secondary"
        onClick={() => void navigator.clipboard?.writeText(link).then(() => setCopied(true))}
      >
        {copied ? t.copied : t.copy}
      </button>
    </span>
  );
}
