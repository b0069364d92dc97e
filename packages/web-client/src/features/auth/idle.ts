// Automatic logoff (HIPAA §164.312(a)(2)(iii)): the practitioner's page logs out after the session's
// idle timeout without user input, except during a call (a practitioner in a consultation is active).

/** The warning comes this long before the logoff (half the timeout when that is shorter). */
export const IDLE_WARNING_S = 60;
/** While active, the server session is renewed this often (a third of the timeout): its refresh token expires unused after the timeout. */
export const keepAliveEveryMs = (timeoutS: number): number => (timeoutS * 1000) / 3;

export type IdleState = { kind: 'active' } | { kind: 'warning'; secondsLeft: number } | { kind: 'expired' };

/** Where the page stands `nowMs`, the last input having come at `lastActivityMs`. */
export function idleState(lastActivityMs: number, nowMs: number, timeoutS: number): IdleState {
  const idleMs = nowMs - lastActivityMs;
  if (idleMs >= timeoutS * 1000) return { kind: 'expired' };
  const warningS = Math.min(IDLE_WARNING_S, Math.floor(timeoutS / 2));
  const leftMs = timeoutS * 1000 - idleMs;
  return leftMs <= warningS * 1000 ? { kind: 'warning', secondsLeft: Math.ceil(leftMs / 1000) } : { kind: 'active' };
}

/** The events that count as the user being there. */
export const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel'] as const;

let busy = 0;
/** Marks the page busy (a call in progress) until the returned function is called. */
export function holdBusy(): () => void {
  busy++;
  let released = false;
  return () => {
    if (!released) busy--;
    released = true;
  };
}
export const isBusy = (): boolean => busy > 0;
