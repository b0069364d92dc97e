// Wires one signaling connection to the shared consultation state: the events either side
// receives, and joining again after a reconnection the server could not recover.
import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { ClientRequests, ConsultationView, ServerToClientEvents as On } from '@visita/protocol';
import { request, whenConnected, type RequestError, type SignalingSocket } from '../../lib/signaling.ts';
import {
  checkedIn,
  consultationReducer,
  hangUpConfirmedBy,
  hangUpRetryMs,
  initialPhase,
  keepsMedia,
  viewOf,
  type ConsultationPhase,
} from './consultationState.ts';

type JoinRequest = ClientRequests['consultation:join'][0];
export type JoinExtras = Omit<JoinRequest, 'consultationId' | 'keepMedia'>;

/** How long a hang-up waits for its answer before it is said unconfirmed (and tried again). */
const HANG_UP_TIMEOUT_MS = 5_000;

export function useConsultation(
  socket: SignalingSocket | null,
  consultationId: string,
  /** Read at each join: what the patient typed (name, reason, device check); nothing for the practitioner. */
  joinExtras: () => JoinExtras = () => ({}),
  /**
   * The practitioner's page: a patient who checks in (or comes back) while it is open brings their
   * reason, which only a join's answer carries (broadcasts never do): join again to read it.
   */
  { reasonOnCheckIn = false }: { reasonOnCheckIn?: boolean } = {},
): {
  phase: ConsultationPhase;
  hangUp: () => void;
  /** Resolves once this side's hang-up request was answered (or failed): then the socket may close. */
  settled: () => Promise<void>;
  declined: () => void;
  /** A view answered to a request of this side (an admission waiting for capacity shows at once). */
  updated: (view: ConsultationView) => void;
} {
  const [phase, dispatch] = useReducer(consultationReducer, initialPhase);
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const extrasRef = useRef(joinExtras);
  extrasRef.current = joinExtras;

  useEffect(() => {
    if (!socket) return;
    const mine = (v: { consultationId: string }) => v.consultationId === consultationId;
    const onUpdated: On['consultation:updated'] = (view) => {
      if (!mine(view)) return;
      const before = viewOf(phaseRef.current);
      dispatch({ type: 'updated', view });
      if (reasonOnCheckIn && checkedIn(before, view)) join();
    };
    const onAdmitted: On['consultation:admitted'] = (view) => mine(view) && dispatch({ type: 'admitted', view });
    const onEnded: On['consultation:ended'] = (e) =>
      mine(e) &&
      dispatch({
        type: 'ended',
        reason: e.reason,
        by: e.by,
        ...(e.callMs !== undefined ? { callMs: e.callMs } : {}),
        ...(e.message ? { message: e.message } : {}),
      });
    const onReplaced = () => {
      dispatch({ type: 'replaced' });
      socket.close();
    };
    const join = () => {
      // In a call with media up: keep it (the media session restarts ICE and lists producers again).
      const keepMedia = keepsMedia(phaseRef.current);
      request(socket, 'consultation:join', { ...extrasRef.current(), consultationId, keepMedia }).then(
        (view) => dispatch({ type: 'joined', view, keptMedia: keepMedia }),
        (e: RequestError) => dispatch({ type: 'failed', code: e.code }),
      );
    };
    // After a reconnection, join again, unless Socket.IO recovered the session (nothing was lost).
    const onConnect = () => {
      if (!socket.recovered) join();
    };
    socket.on('consultation:updated', onUpdated);
    socket.on('consultation:admitted', onAdmitted);
    socket.on('consultation:ended', onEnded);
    socket.on('session:replaced', onReplaced);
    socket.on('connect', onConnect);
    if (socket.connected) join();
    else whenConnected(socket).catch((e: RequestError) => dispatch({ type: 'failed', code: e.code }));
    return () => {
      socket.off('consultation:updated', onUpdated);
      socket.off('consultation:admitted', onAdmitted);
      socket.off('consultation:ended', onEnded);
      socket.off('session:replaced', onReplaced);
      socket.off('connect', onConnect);
    };
  }, [socket, consultationId, reasonOnCheckIn]);

  // A hang-up shows as ended once the server confirmed it (its answer, or its ended event), never
  // before: until then the page says it is ending, then that it could not be confirmed, and tries again.
  const pending = useRef<Promise<void>>(Promise.resolve());
  const retry = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(retry.current), []);
  const hangUp = useCallback(() => {
    const p = phaseRef.current;
    if (!socket || ((p.name === 'call' || p.name === 'waiting') && p.ending)) return;
    dispatch({ type: 'hangingUp' });
    const attempt = (n: number): Promise<void> =>
      request(socket, 'consultation:hangUp', { consultationId }, HANG_UP_TIMEOUT_MS).then(
        () => dispatch({ type: 'hungUp' }),
        (e: RequestError) => {
          if (hangUpConfirmedBy(e.code)) return dispatch({ type: 'hungUp' });
          if (phaseRef.current.name === 'ended' || phaseRef.current.name === 'replaced') return;
          dispatch({ type: 'hangUpUnconfirmed' });
          retry.current = setTimeout(() => {
            const now = phaseRef.current.name;
            if (now !== 'ended' && now !== 'replaced') pending.current = attempt(n + 1);
          }, hangUpRetryMs(n));
        },
      );
    pending.current = attempt(0);
  }, [socket, consultationId]);
  const settled = useCallback(() => pending.current, []);
  const declined = useCallback(() => dispatch({ type: 'declined' }), []);
  const updated = useCallback((view: ConsultationView) => dispatch({ type: 'updated', view }), []);
  return { phase, hangUp, settled, declined, updated };
}
