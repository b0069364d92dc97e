// The practitioner's side of one consultation: its waiting patient, then the call.
import { Suspense, useEffect, useRef, useState } from 'react';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { connectSignaling, request, type RequestError, type SignalingSocket } from '../../lib/signaling.ts';
import { refreshed, sessionToken } from '../../lib/session.ts';
import { Loading, Panel } from '../../ui/Panel.tsx';
import { ServiceBanner } from '../../ui/ServiceBanner.tsx';
import { holdBusy } from '../auth/idle.ts';
import { sharedMedia } from '../call/callDisplay.ts';
import { callStartedAt } from '../call/consultationState.ts';
import { LazyCallView, loadCallView } from '../call/LazyCallView.ts';
import { useConsultation } from '../call/useConsultation.ts';
import { Chat } from '../chat/Chat.tsx';
import { useLocalMedia } from '../precall/useLocalMedia.ts';
import { AdmissionPending } from '../waiting-room/AdmissionPending.tsx';
import { EndedSummary } from './EndedSummary.tsx';
import { WaitingStatus } from './WaitingStatus.tsx';

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
  const [error, setError] = useState<string | null>(null);
  useEffect(() => start(), [start]);
  // The call's code, fetched now, so the admission does not wait for it.
  useEffect(() => void loadCallView().catch(() => undefined), []);
  useEffect(() => {
    const s = connectSignaling(sessionToken, refreshed);
    setSocket(s);
    s.on('connect', () => setError(null));
    return () => void s.close();
  }, []);
  const { phase, hangUp, declined, updated } = useConsultation(socket, consultationId, undefined, {
    reasonOnCheckIn: true,
  });
  // A practitioner in a call is active: no automatic logoff.
  const inCall = phase.name === 'call';
  useEffect(() => (inCall ? holdBusy() : undefined), [inCall]);

  // The patient's name, kept for the screen after the end.
  const patientName = useRef<string | null>(null);
  const current = phase.name === 'waiting' || phase.name === 'call' ? phase.view : null;
  if (current?.patientName) patientName.current = current.patientName;

  const [declineReason, setDeclineReason] = useState('');
  const fail = (e: RequestError) => setError(errorText(t, e.code));
  const admit = () => {
    if (socket) request(socket, 'consultation:admit', { consultationId }).then(updated, fail);
  };
  const decline = () => {
    if (socket)
      request(socket, 'consultation:decline', { consultationId, reason: declineReason.trim() }).then(declined, fail);
  };

  if (phase.name === 'ended') {
    return (
      <EndedSummary t={t} reason={phase.reason} details={phase} patientName={patientName.current} onClose={onClose} />
    );
  }
  if (phase.name === 'call' && socket && media.status === 'ready') {
    return (
      <Suspense fallback={<Loading label={t.loading} />}>
        <LazyCallView
          key={phase.generation}
          t={t}
          socket={socket}
          consultationId={consultationId}
          local={media.stream}
          onHangUp={hangUp}
          ending={phase.ending}
          peerName={phase.view?.patientName ?? t.aPatient}
          peerDetail={phase.view?.reason ?? undefined}
          peerMedia={phase.view?.patientDevices ? sharedMedia(phase.view.patientDevices) : undefined}
          since={callStartedAt(phase)}
          side={<Chat t={t} socket={socket} consultationId={consultationId} me="practitioner" />}
          me="practitioner"
        />
      </Suspense>
    );
  }
  const view = phase.name === 'waiting' ? phase.view : null;
  const shownError = error ?? (phase.name === 'error' ? errorText(t, phase.code) : null);
  return (
    <Panel title={t.consultationTitle} heading={view?.patientName ?? t.consultationTitle}>
      <ServiceBanner t={t} socket={socket} />
      {shownError && (
        <p className="error" role="alert">
          {shownError}
        </p>
      )}
      {view?.patientPresent ? (
        <>
          <p data-testid="patient-waiting">
            <strong>{t.patientWaiting(view.patientName ?? t.aPatient)}</strong>
          </p>
          {view.reason && (
            <p data-testid="patient-reason-shown">
              {t.reasonLabel} <em>{view.reason}</em>
            </p>
          )}
        </>
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
      {/* Two different things: a status line on the patient's waiting screen, and the conversation. */}
      {socket && <WaitingStatus t={t} socket={socket} consultationId={consultationId} onError={fail} />}
      {socket && <Chat t={t} socket={socket} consultationId={consultationId} me="practitioner" />}
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
