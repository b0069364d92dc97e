// The patient's waiting room: who they wait for and whether they are there, their place in line
// and an estimate (announced to screen readers as it changes), messages, chat, a way out.
import { useEffect, useState } from 'react';
import type { ConsultationView, PractitionerStatus, WaitingPosition } from '@visita/protocol';
import { minutes } from '../../lib/format.ts';
import type { Strings } from '../../lib/i18n.ts';
import { useSignalingState, type SignalingSocket } from '../../lib/signaling.ts';
import { Panel } from '../../ui/Panel.tsx';
import { ServiceBanner } from '../../ui/ServiceBanner.tsx';
import { VideoPreview } from '../../ui/VideoPreview.tsx';
import { EndingStatus } from '../call/EndingStatus.tsx';
import type { Ending } from '../call/consultationState.ts';
import { Chat } from '../chat/Chat.tsx';
import { AdmissionPending } from './AdmissionPending.tsx';
import { expectedWaitMinutes } from './waitEstimate.ts';

/** What the waiting room is told: the place in line and the practitioner's last message. */
export interface WaitingNews {
  position: WaitingPosition | null;
  message: string | null;
}

/**
 * Listens from the moment the connection exists: the first position comes with the check-in's
 * answer, before the waiting room's screen is shown.
 */
export function useWaitingNews(socket: SignalingSocket, consultationId: string): WaitingNews {
  const [position, setPosition] = useState<WaitingPosition | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    const onPosition = (p: WaitingPosition) => p.consultationId === consultationId && setPosition(p);
    const onMessage = (m: { consultationId: string; text: string }) =>
      m.consultationId === consultationId && setMessage(m.text);
    socket.on('waiting:position', onPosition);
    socket.on('waiting:message', onMessage);
    return () => {
      socket.off('waiting:position', onPosition);
      socket.off('waiting:message', onMessage);
    };
  }, [socket, consultationId]);
  return { position, message };
}

export function PatientWaitingRoom({
  t,
  socket,
  consultationId,
  view,
  waiting,
  stream,
  placeKept,
  onLeave,
  ending,
}: {
  t: Strings;
  socket: SignalingSocket;
  consultationId: string;
  view: ConsultationView;
  waiting: WaitingNews;
  stream: MediaStream | null;
  /** Came back (a reload, the link opened again) and kept their place: said once. */
  placeKept: boolean;
  onLeave: () => void;
  /** Leaving was asked and is not confirmed yet. */
  ending?: Ending | undefined;
}) {
  const { position, message } = waiting;
  const [confirmLeave, setConfirmLeave] = useState(false);
  const connection = useSignalingState(socket);

  const wait = position ? expectedWaitMinutes(position.estimatedWaitMs, message) : 0;
  const status: PractitionerStatus = position?.practitionerStatus ?? (view.practitionerPresent ? 'online' : 'away');
  return (
    <Panel title={t.waitingTitle}>
      {connection === 'reconnecting' && (
        <p className="banner" role="status" data-testid="reconnecting">
          {t.reconnecting}
        </p>
      )}
      <ServiceBanner t={t} socket={socket} />
      <EndingStatus t={t} ending={ending} />
      {placeKept && (
        <p className="notice" role="status" data-testid="place-kept">
          {t.placeKept}
        </p>
      )}
      {(view.practitionerName || view.practiceName) && (
        <p className="waiting-for" data-testid="waiting-for">
          {t.waitingFor(view.practitionerName, view.practiceName)}
        </p>
      )}
      <p data-testid="waiting" className="status-line">
        <span className={`dot ${status}`} aria-hidden />
        {position
          ? t[`status_${position.practitionerStatus}`]
          : view.practitionerPresent
            ? t.waitingPractitionerOnline
            : t.waitingPractitionerAway}
      </p>
      {view.admission && (
        <AdmissionPending
          key={view.admission.etaMs ?? -1}
          admission={view.admission}
          starting={t.admittedStarting}
          waiting={t.admittedWaiting}
        />
      )}
      {/* Always in the page, so that the changes of its text are announced. */}
      <p data-testid="position" aria-live="polite" aria-atomic="true">
        {position && (
          <>
            <strong>{t.position(position.position)}</strong> {t.estimate(wait, minutes(t.locale, wait))}
          </>
        )}
      </p>
      {message && (
        <p className="message" data-testid="practitioner-message" role="status">
          {t.messageFromPractitioner} <strong>{message}</strong>
        </p>
      )}
      <Chat t={t} socket={socket} consultationId={consultationId} me="patient" />
      {stream && stream.getVideoTracks().length > 0 && (
        <figure className="self-view">
          <VideoPreview stream={stream} label={t.selfView} />
          <figcaption>{t.selfViewCaption}</figcaption>
        </figure>
      )}
      {confirmLeave ? (
        <div className="confirm" role="group" aria-labelledby="leave-question">
          <p id="leave-question">{t.leaveQuestion}</p>
          <button className="danger" data-testid="leave-confirm" onClick={onLeave}>
            {t.leaveConfirm}
          </button>
          <button className="secondary" onClick={() => setConfirmLeave(false)} autoFocus>
            {t.stay}
          </button>
        </div>
      ) : (
        <button className="secondary" data-testid="leave" onClick={() => setConfirmLeave(true)}>
          {t.leaveWaitingRoom}
        </button>
      )}
    </Panel>
  );
}
