// The practitioner's live waiting room (across tabs and instances): each patient once, with their
// reason, how long they have waited, device and network warnings, and one Open button.
import { useEffect, useState } from 'react';
import type { QueueEntryView } from '@visita/protocol';
import { minutes } from '../../lib/format.ts';
import type { Strings } from '../../lib/i18n.ts';
import { request, type SignalingSocket } from '../../lib/signaling.ts';
import { ServiceBanner } from '../../ui/ServiceBanner.tsx';

export function PractitionerQueue({
  t,
  socket,
  onOpen,
  onChange,
}: {
  t: Strings;
  socket: SignalingSocket | null;
  onOpen: (consultationId: string) => void;
  /** The consultations in the waiting room, each time it changes. */
  onChange: (consultationIds: ReadonlySet<string>) => void;
}) {
  const [entries, setEntries] = useState<QueueEntryView[]>([]);
  const [total, setTotal] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!socket) return;
    const show = (q: { entries: QueueEntryView[]; total: number }) => {
      setEntries(q.entries);
      setTotal(q.total);
      onChange(new Set(q.entries.map((e) => e.consultationId)));
    };
    const onConnect = () => {
      if (!socket.recovered) request(socket, 'queue:watch', {}).then(show, () => undefined);
    };
    socket.on('queue:updated', show);
    socket.on('connect', onConnect);
    if (socket.connected) onConnect();
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => {
      clearInterval(timer);
      socket.off('queue:updated', show);
      socket.off('connect', onConnect);
    };
  }, [socket, onChange]);
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
              <span>{t.since(minutes(t.locale, (now - e.checkedInAt) / 60_000))}</span>
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
              <button onClick={() => onOpen(e.consultationId)} aria-label={t.openFor(e.patientName)}>
                {t.open}
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
