// The practitioner's dashboard: the live waiting room, then the consultations not in it (new ones
// with their links, open ones), and the ended ones archived below. The list follows the waiting
// room: a patient who checks in moves from the list to the waiting room.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ConsultationView } from '@visita/protocol';
import type { VisitaError as RequestError } from '@visita/protocol';
import { api } from '../../lib/api.ts';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { connectSignaling, request, type SignalingSocket } from '../../lib/signaling.ts';
import { refreshed, sessionToken, type Session } from '../../lib/session.ts';
import { Panel } from '../../ui/Panel.tsx';
import { SecurityPanel } from '../auth/SecurityPanel.tsx';
import { sections } from './consultationList.ts';
import { ConsultationRow } from './ConsultationRow.tsx';
import { PractitionerQueue } from './PractitionerQueue.tsx';

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
  const [queued, setQueued] = useState<ReadonlySet<string>>(new Set());
  const [links, setLinks] = useState<Record<string, string>>(() =>
    JSON.parse(localStorage.getItem('visita.links') ?? '{}'),
  );
  const [error, setError] = useState<string | null>(null);
  const [socket, setSocket] = useState<SignalingSocket | null>(null);
  useEffect(() => {
    const s = connectSignaling(sessionToken, refreshed);
    setSocket(s);
    return () => void s.close();
  }, []);

  const refresh = useCallback(() => {
    api.consultations().then(
      (r) => setList(r.consultations),
      (e: RequestError) => (e.code === 'UNAUTHENTICATED' ? onLogout() : setError(errorText(t, e.code))),
    );
  }, [onLogout, t]);
  useEffect(refresh, [refresh]);
  // The waiting room changed (a check-in, a departure, an admission): the list did too.
  const onQueue = useCallback(
    (ids: ReadonlySet<string>) => {
      setQueued(ids);
      refresh();
    },
    [refresh],
  );

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
  const close = (consultationId: string) => {
    if (socket)
      request(socket, 'consultation:hangUp', { consultationId }).then(refresh, (e: RequestError) =>
        setError(errorText(t, e.code)),
      );
  };

  const { current, ended } = useMemo(() => sections(list, queued), [list, queued]);
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
      <PractitionerQueue t={t} socket={socket} onOpen={onOpen} onChange={onQueue} />
      <h2>{t.consultations}</h2>
      {current.length === 0 ? (
        <p>{t.noOpenConsultation}</p>
      ) : (
        <ul className="consultations">
          {current.map(({ consultation: c, kind }) => (
            <ConsultationRow
              key={c.consultationId}
              t={t}
              c={c}
              kind={kind}
              link={links[c.consultationId]}
              onOpen={onOpen}
              onClose={close}
            />
          ))}
        </ul>
      )}
      {ended.length > 0 && (
        <details data-testid="archive">
          <summary>{t.archive(ended.length)}</summary>
          <ul className="consultations">
            {ended.map((c) => (
              <ConsultationRow
                key={c.consultationId}
                t={t}
                c={c}
                kind="ended"
                link={undefined}
                onOpen={onOpen}
                onClose={close}
              />
            ))}
          </ul>
        </details>
      )}
      <SecurityPanel t={t} />
    </Panel>
  );
}
