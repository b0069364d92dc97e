// The practitioner's session: a short-lived access token and a single-use refresh token, kept for
// this tab only (sessionStorage). Refreshing is single-flight: concurrent callers share one request.
import type { AccountRole, SessionGrant } from '@visita/protocol';

export interface Session {
  token: string;
  refreshToken: string;
  name: string;
  role: AccountRole;
  /** Automatic logoff after this long without activity (the server's VISITA_IDLE_TIMEOUT_S). */
  idleTimeoutS: number;
}

export const sessionFrom = (g: SessionGrant): Session => ({
  token: g.token,
  refreshToken: g.refreshToken,
  name: g.practitioner.name,
  role: g.practitioner.role,
  idleTimeoutS: g.idleTimeoutS,
});

const KEY = 'visita.session';

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  return raw ? (JSON.parse(raw) as Session) : null;
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

let inFlight: Promise<Session | null> | null = null;

/** A new access token from the refresh token; null (and the session cleared) when it is over. */
export function refreshSession(): Promise<Session | null> {
  inFlight ??= (async () => {
    const current = loadSession();
    if (!current) return null;
    try {
      const res = await fetch('/api/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      const body = (await res.json()) as { ok: boolean; data?: { token: string; refreshToken: string } };
      if (!body.ok || !body.data) {
        clearSession();
        return null;
      }
      const next = { ...current, token: body.data.token, refreshToken: body.data.refreshToken };
      saveSession(next);
      return next;
    } catch {
      return null;
    }
  })().finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** The current access token (what a signaling connection authenticates with). */
export const sessionToken = (): string => loadSession()?.token ?? '';
/** Refreshes the session; whether it worked (a signaling connection retries with the new token). */
export const refreshed = async (): Promise<boolean> => (await refreshSession()) !== null;
