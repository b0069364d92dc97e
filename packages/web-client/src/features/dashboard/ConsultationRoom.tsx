// The practitioner's side of one consultation: its waiting patient, then the call.
import { useEffect, useRef, useState } from 'react';
import type { ConsultationView } from '@visita/protocol';
import { CallView } from '../components/CallView.tsx';
import { AdmissionPending } from '../components/AdmissionPending.tsx';
import { Chat } from '../components/Chat.tsx';
import { holdBusy } from '../idle.ts';
import { errorText, type Strings } from '../i18n.ts';
import { connectSignaling, request, whenConnected, type RequestError, type SignalingSocket } from '../signaling.ts';
import { refreshed, sessionToken } from '../session.ts';
import { useLocalMedia } from '../useLocalMedia.ts';
import { Panel } from './PatientPage.tsx';

export function ConsultationRoom({
  t,
  consultationId,
  onClose,
}: {
  t: Strings;
  consultationId: string;
  onClose: () => void;
}) {
  const { media, start } = useLocalMedia();
  const [socket, setSocket] = useState<SignalingSocket | null>(null);
  const [view, setView] = useState<ConsultationView | null>(null);
  const [generation, setGeneration] = useState<number | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(start, [start]);
  // A practitioner in a call is active: no automatic logoff.
  const inCall = generation !== null && ended === null;
  const inCallRef = useRef(inCall);
  inCallRef.current = inCall;
  useEffect(() => (inCall ? holdBusy() : undefined), [inCall]);
  useEffect(() => {
    const s = connectSignaling(sessionToken, refreshed);
    setSocket(s);
    s.on('consultation:updated', setView);
    s.on('consultation:admitted', (v) => {
      setView(v);
      setGeneration((g) => (g === null ? 0 : g + 1));
    });
    s.on('consultation:ended', ({ reason }) => setEnded(reason === 'media_lost' ? t.mediaLost : t.ended));
    s.on('connect', () => {
      setError(null);
      if (s.recovered) return;
      // In a call with media up: keep it (the media session restarts ICE and lists producers again).
      const keepMedia = inCallRef.current;
      request(s, 'consultation:join', { consultationId, keepMedia }).then(
        (v) => {
          setView(v);
          if (v.state === 'in_call' && !keepMedia) setGeneration((g) => (g === null ? 0 : g + 1));
        },
        (e: RequestError) => setError(errorText(t, e.code)),
      );
    });
    whenConnected(s).catch((e: RequestError) => setError(errorText(t, e.code)));
    return () => void s.close();
  }, [consultationId, t]);

  const admit = () => {
    if (socket)
      request(socket, 'consultation:admit', { consultationId }).then(
        (v) => setView((old) => (v.state === 'waiting' ? v : old)),
        (e: RequestError) => setError(errorText(t, e.code)),
      );
  };
  const hangUp = () => {
    if (socket) void request(socket, 'consultation:hangUp', { consultationId }).catch(() => undefined);
    setEnded(t.ended);
  };
  const [declineReason, setDeclineReason] = useState('');
  const [text, setText] = useState('');
  const [sent, setSent] = useState(false);
  const decline = () => {
    if (socket)
      request(socket, 'consultation:decline', { consultationId, reason: declineReason.trim() }).then(
        () => setEnded(t.declined),
        (e: RequestError) => setError(errorText(t, e.code)),
      );
  };
  const send = () => {
    if (socket)
      request(socket, 'waiting:message', { consultationId, text: text.trim() }).then(
        () => setSent(true),
        (e: RequestError) => setError(errorText(t, e.code)),
      );
  };

  if (ended) {
    return (
      <Panel title={t.doctorTitle}>
        <p data-testid="ended">{ended}</p>
        <button onClick={onClose}>{t.back}</button>
      </Panel>
    );
  }
  if (generation !== null && socket && media.status === 'ready') {
    return (
      <CallView
        key={generation}
        t={t}
        socket={socket}
        consultationId={consultationId}
        local={media.stream}
        onHangUp={hangUp}
      />
    );
  }
  return (
    <Panel title={t.doctorTitle}>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {view?.patientPresent ? (
        <p data-testid="patient-waiting">
          <strong>{t.patientWaiting(view.patientName ?? t.aPatient)}</strong>
        </p>
      ) : (
        <p>{t.noPatientYet}</p>
      )}
      {view?.admission && (
        <AdmissionPending
          key={view.admission.etaMs ?? -1}
          admission={view.admission}
          starting={t.capacityStarting}
          waiting={t.capacityWaiting}
        />
      )}
      <button
        data-testid="admit"
        disabled={!view?.patientPresent || media.status !== 'ready' || view.admission !== undefined}
        onClick={admit}
      >
        {t.admit}
      </button>
      <button className="secondary" onClick={onClose}>
        {t.back}
      </button>
      {socket && <Chat t={t} socket={socket} consultationId={consultationId} me="practitioner" />}
      <label htmlFor="message">{t.sendMessage}</label>
      <div className="link">
        <input
          id="message"
          data-testid="message-text"
          maxLength={280}
          placeholder={t.messagePlaceholder}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setSent(false);
          }}
        />
        <button data-testid="message-send" disabled={!text.trim()} onClick={send}>
          {sent ? t.messageSent : t.sendMessage}
        </button>
      </div>
      <label htmlFor="decline">{t.declineReason}</label>
      <div className="link">
        <input
          id="decline"
          data-testid="decline-reason"
          maxLength={200}
          value={declineReason}
          onChange={(e) => setDeclineReason(e.target.value)}
        />
        <button data-testid="decline" className="danger" disabled={!declineReason.trim()} onClick={decline}>
          {t.decline}
        </button>
      </div>
      {media.status === 'error' && (
        <p className="error" role="alert">
          {t.deviceError} ({media.name})
        </p>
      )}
    </Panel>
  );
}
