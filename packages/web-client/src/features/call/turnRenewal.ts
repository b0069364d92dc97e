// TURN credentials renewed while in a call. Signaling's credentials are short-lived (15 min by
// default) and good for making allocations only: one made already lives on after they expire. A
// transport may make new ones long after it was created, though (the receive side gathers on its
// first consumer, a new network gathers again), so every TURN_RENEW_MS the page asks for fresh ones
// and hands them to its transports (RTCPeerConnection.setConfiguration through mediasoup-client).
// Signaling refuses once the call is over or the link revoked: the renewals stop being answered.
import type { types } from 'mediasoup-client';
import { TURN_RENEW_MS } from '@visita/protocol/browser';
import { request, type SignalingSocket } from '../../lib/signaling.ts';

/** Renews the TURN credentials of `transports()` every `everyMs`; returns the stop. */
export function renewTurnCredentials(
  socket: SignalingSocket,
  consultationId: string,
  transports: () => Array<types.Transport | undefined>,
  everyMs = TURN_RENEW_MS,
): () => void {
  const timer = setInterval(() => {
    void request(socket, 'media:iceServers', { consultationId })
      .then(async ({ iceServers }) => {
        if (iceServers.length === 0) return;
        for (const t of transports()) if (t && !t.closed) await t.updateIceServers({ iceServers });
      })
      // Missed (signaling briefly away): the credentials last several periods, the next one renews.
      .catch(() => undefined);
  }, everyMs);
  return () => clearInterval(timer);
}
