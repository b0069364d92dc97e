// The patient once checked in: one signaling connection for the visit, the shared consultation
// state, and its screens — waiting room, call, the end.
import { Suspense, useEffect, useState } from 'react';
import type { EndReason } from '@visita/protocol';
import { errorText, type Strings } from '../../lib/i18n.ts';
import { connectSignaling } from '../../lib/signaling.ts';
import { Loading, Panel } from '../../ui/Panel.tsx';
import { LazyCallView, loadCallView } from '../call/LazyCallView.ts';
import { callStartedAt } from '../call/consultationState.ts';
import { useConsultation } from '../call/useConsultation.ts';
import { Chat } from '../chat/Chat.tsx';
import type { CheckIn } from '../precall/DeviceCheck.tsx';
import { PatientWaitingRoom, useWaitingNews } from '../waiting-room/PatientWaitingRoom.tsx';
import { announceAdmission } from './announce.ts';
import { useLinkWatch, type DeadLink } from './linkWatch.ts';

export function PatientConsultation({
  t,
  consultationId,
  token,
  checkIn,
  stream,
  placeKept,
  onOver,
  onDead,
}: {
  t: Strings;
  consultationId: string;
  token: string;
  checkIn: CheckIn;
  stream: MediaStream;
  placeKept: boolean;
  /** Ended, or taken over by another device: forget the check-in, release the devices. */
  onOver: () => void;
  /** The link died while the page was open (revoked, expired): the dead-link screen takes over. */
  onDead: (why: DeadLink) => void;
}) {
  const [socket] = useState(() => connectSignaling(token));
  useEffect(() => {
    // The call's code, fetched while waiting, so the admission does not wait for it.
    void loadCallView().catch(() => undefined);
    return () => void socket.close();
  }, [socket]);
  const waiting = useWaitingNews(socket, consultationId);
  const { phase, hangUp, settled } = useConsultation(socket, consultationId, () => ({
    displayName: checkIn.name,
    ...(checkIn.reason ? { reason: checkIn.reason } : {}),
    deviceCheck: checkIn.deviceCheck,
  }));
  const over = phase.name === 'ended' || phase.name === 'replaced';
  useLinkWatch(socket, token, consultationId, !over, onDead);
  useEffect(() => {
    if (!over) return;
    // A hang-up (or leaving the waiting room) is answered before the connection closes: closing
    // at once could drop the request, and the patient would stay in the line for the grace period.
    void settled().then(() => socket.close());
    onOver();
  }, [over, socket, onOver, settled]);
  const firstCall = phase.name === 'call' && phase.generation === 0;
  useEffect(() => {
    if (firstCall) announceAdmission();
  }, [firstCall]);

  switch (phase.name) {
    case 'replaced':
      return (
        <Panel title={t.patientTitle}>
          <p data-testid="replaced" role="status">
            {t.replacedElsewhere}
          </p>
        </Panel>
      );
    case 'error':
      return (
        <Panel title={t.patientTitle}>
          <p className="error" role="alert">
            {errorText(t, phase.code)}
          </p>
        </Panel>
      );
    case 'ended':
      return <AfterCall t={t} reason={phase.reason} message={phase.message} left={phase.left} />;
    case 'call':
      return (
        <Suspense fallback={<Loading label={t.loading} />}>
          <LazyCallView
            key={phase.generation}
            t={t}
            socket={socket}
            consultationId={consultationId}
            local={stream}
            onHangUp={hangUp}
            ending={phase.ending}
            peerName={phase.view?.practitionerName ?? undefined}
            since={callStartedAt(phase)}
            side={<Chat t={t} socket={socket} consultationId={consultationId} me="patient" />}
            me="patient"
          />
        </Suspense>
      );
    case 'waiting':
      return (
        <PatientWaitingRoom
          t={t}
          socket={socket}
          consultationId={consultationId}
          view={phase.view}
          waiting={waiting}
          stream={stream}
          placeKept={placeKept}
          onLeave={hangUp}
          ending={phase.ending}
        />
      );
    case 'joining':
      return (
        <Panel title={t.waitingTitle}>
          <p role="status">{t.connecting}</p>
        </Panel>
      );
  }
}

/** The end: why (they left the waiting room, the practitioner declined…), and that the page can be closed. */
function AfterCall({
  t,
  reason,
  message,
  left,
}: {
  t: Strings;
  reason: EndReason;
  message?: string | undefined;
  left?: 'waiting' | 'call' | undefined;
}) {
  const text =
    reason === 'media_lost'
      ? t.mediaLost
      : reason === 'declined'
        ? t.declined
        : left === 'waiting'
          ? t.leftWaitingRoom
          : t.ended;
  return (
    <Panel title={t.endedTitle}>
      <p data-testid="ended">{text}</p>
      {message && (
        <p data-testid="ended-message">
          <strong>{message}</strong>
        </p>
      )}
      <p className="hint">{t.closePage}</p>
    </Panel>
  );
}
