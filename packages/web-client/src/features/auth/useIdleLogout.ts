import { useCallback, useEffect, useRef, useState } from 'react';
import { ACTIVITY_EVENTS, idleState, isBusy, keepAliveEveryMs } from './idle.ts';
import { loadSession, refreshSession } from '../../lib/session.ts';

/**
 * Logs out (`onExpire`) after `timeoutS` without input, unless a call is in progress; the seconds
 * left while the warning shows, and `stay` to dismiss it. While the user is active, the session is
 * refreshed every third of the timeout, so the server's idle expiry never ends an active session;
 * a session the server ended meanwhile logs out (`onLost`).
 */
export function useIdleLogout(
  timeoutS: number,
  onExpire: () => void,
  onLost: () => void,
): { secondsLeft: number | null; stay: () => void } {
  const lastActivity = useRef(Date.now());
  const lastKeepAlive = useRef(Date.now());
  const [secondsLeft, setSecondsLeft] = useState<number | null>(null);
  const stay = useCallback(() => {
    lastActivity.current = Date.now();
    setSecondsLeft(null);
  }, []);

  useEffect(() => {
    const seen = () => {
      lastActivity.current = Date.now();
    };
    for (const e of ACTIVITY_EVENTS) window.addEventListener(e, seen, { passive: true, capture: true });
    const timer = setInterval(() => {
      const now = Date.now();
      if (isBusy()) lastActivity.current = now;
      const state = idleState(lastActivity.current, now, timeoutS);
      if (state.kind === 'expired') {
        clearInterval(timer);
        onExpire();
        return;
      }
      setSecondsLeft(state.kind === 'warning' ? state.secondsLeft : null);
      if (lastActivity.current > lastKeepAlive.current && now - lastKeepAlive.current >= keepAliveEveryMs(timeoutS)) {
        lastKeepAlive.current = now;
        void refreshSession().then(() => {
          if (!loadSession()) onLost();
        });
      }
    }, 1_000);
    return () => {
      clearInterval(timer);
      for (const e of ACTIVITY_EVENTS) window.removeEventListener(e, seen, { capture: true });
    };
  }, [timeoutS, onExpire, onLost]);

  return { secondsLeft, stay };
}
