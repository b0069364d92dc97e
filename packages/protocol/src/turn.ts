/**
 * How often a page in a call asks for fresh TURN credentials (`media:iceServers`). Signaling's
 * credentials live VISITA_TURN_TTL_S, at least twice this: a missed renewal is made up by the next.
 */
export const TURN_RENEW_MS = 5 * 60_000;
