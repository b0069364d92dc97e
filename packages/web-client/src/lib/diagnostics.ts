// Diagnostics for support: the current media session (its stats, how it reaches the node) and
// when the first remote video frame showed, on `window` — only when turned on for this browser
// (localStorage `visita.diagnostics` = `1`, as support asks a user to do, and as the end-to-end
// tests and benchmarks do before any page script runs). Off, nothing is exposed.
import type { MediaSession } from '../features/call/MediaSession.ts';

declare global {
  interface Window {
    /** The current media session (diagnostics on). */
    __visitaSession?: MediaSession | null;
    /** Date.now() when the current session's first remote video frame showed (diagnostics on). */
    __visitaFirstFrameAt?: number | null;
  }
}

export const DIAGNOSTICS_KEY = 'visita.diagnostics';

export function diagnosticsOn(): boolean {
  try {
    return localStorage.getItem(DIAGNOSTICS_KEY) === '1';
  } catch {
    return false;
  }
}

/** A new media session is the current one (its first frame not shown yet). */
export function exposeSession(s: MediaSession): void {
  if (!diagnosticsOn()) return;
  window.__visitaSession = s;
  window.__visitaFirstFrameAt = null;
}

/** The session is closed: no longer the current one, unless a newer one replaced it already. */
export function forgetSession(s: MediaSession): void {
  if (window.__visitaSession === s) window.__visitaSession = null;
}

export function markFirstFrame(): void {
  if (diagnosticsOn()) window.__visitaFirstFrameAt ??= Date.now();
}
