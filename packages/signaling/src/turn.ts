// Short-lived TURN credentials, the TURN REST scheme coturn implements (`use-auth-secret`): the
// username is `<expiry epoch s>:<who>`, the password base64(HMAC-SHA1(secret, username)). coturn
// recomputes it from the shared secret and refuses it after the expiry; nothing is stored.
import { createHmac } from 'node:crypto';
import type { IceServer } from '@visita/protocol';
import type { SignalingConfig } from './config.ts';
import type { TransportIce } from './MediaCalls.ts';
import type { Identity } from './tokens.ts';

export interface TurnConfig {
  readonly urls: readonly string[];
  readonly secret: string;
  readonly ttlS: number;
}

/** Credentials for `who` (an id, never a name: it shows in the TURN server's logs) until now + ttl. */
export function turnCredentials(turn: TurnConfig, who: string, nowMs: number): IceServer {
  const username = `${Math.floor(nowMs / 1000) + turn.ttlS}:${who}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return { urls: [...turn.urls], username, credential };
}

/** What each transport carries: fresh credentials for its caller, and the configured policy. */
export function transportIce(
  config: Pick<SignalingConfig, 'turn' | 'iceTransportPolicy'>,
): (who: Identity) => TransportIce {
  const { turn, iceTransportPolicy } = config;
  if (!turn) return () => ({});
  return (who) => ({ iceServers: [turnCredentials(turn, who.sub, Date.now())], iceTransportPolicy });
}
