// A link that dies while the page is open (the practice revoked it, or it expired while the patient
// waited): the page says so within seconds and lets the camera and microphone go, instead of
// trying to reconnect with a link the server refuses.
import { useEffect, useRef } from 'react';
import type { PatientLinkStatus } from '@visita/protocol';
import { ErrorCode } from '@visita/protocol/browser';
import { patientLinkStatus } from '../../lib/api.ts';
import type { SignalingSocket } from '../../lib/signaling.ts';

export type DeadLink = Exclude<PatientLinkStatus['status'], 'open'>;

/**
 * Calls `onDead` once when the link is known dead: told by the server (`link:revoked`), or found by
 * checking the link when the server closed the connection or refused a reconnection. `active`
 * false (the consultation is over, its own end screen shows) stops the watch.
 */
export function useLinkWatch(
  socket: SignalingSocket,
  token: string,
  consultationId: string,
  active: boolean,
  onDead: (why: DeadLink) => void,
): void {
  const live = useRef(active);
  live.current = active;
  const told = useRef(onDead);
  told.current = onDead;
  useEffect(() => {
    let done = false;
    const dead = (why: DeadLink) => {
      if (done || !live.current) return;
      done = true;
      told.current(why);
    };
    const check = () =>
      void patientLinkStatus(token, consultationId).then((status) => status !== 'open' && dead(status));
    const onRevoked = (e: { consultationId: string }) => e.consultationId === consultationId && dead('revoked');
    const onDisconnect = (reason: string) => reason === 'io server disconnect' && check();
    const onRefused = (e: Error & { data?: { code?: string } }) =>
      e.data?.code === ErrorCode.UNAUTHENTICATED && check();
    socket.on('link:revoked', onRevoked);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onRefused);
    return () => {
      done = true;
      socket.off('link:revoked', onRevoked);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onRefused);
    };
  }, [socket, token, consultationId]);
}
