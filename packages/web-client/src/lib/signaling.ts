import { useSyncExternalStore } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientRequests, ClientToServerEvents, ServerToClientEvents } from '@visita/protocol';
import { ErrorCode, PROTOCOL_VERSION, VisitaError, unwrap } from '@visita/protocol/browser';

export type SignalingSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** An error answered by the server (or a timeout), with its protocol error code. */
export { VisitaError as RequestError };

/**
 * Opens the one Socket.IO connection a client has (same origin; the web server proxies it). The
 * token is read at every (re)connection; with `refresh`, an expired token is renewed and the
 * connection retried.
 */
export function connectSignaling(token: string | (() => string), refresh?: () => Promise<boolean>): SignalingSocket {
  const read = typeof token === 'function' ? token : () => token;
  const socket: SignalingSocket = io({
    auth: (cb) => cb({ token: read(), protocolVersion: PROTOCOL_VERSION }),
    transports: ['websocket', 'polling'],
  });
  // Back on a network (maybe another one: Wi-Fi to 4G): a connection still open may be bound to an
  // address that is gone (noticed only at the ping timeout, 20 s), and a reconnection attempt made
  // while offline may hang until its own timeout (20 s). Either way, a fresh connection now; the
  // server recovers the session (rooms, missed events) when it can, the page joins again otherwise.
  const onOnline = () => {
    if (socket.connected) socket.io.engine.close();
    else if (socket.active) socket.disconnect().connect();
  };
  window.addEventListener('online', onOnline);
  socket.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') window.removeEventListener('online', onOnline);
  });
  socket.on('connect', () => everConnected.add(socket));
  // Whether the service can keep records now (its Redis): told on each change. A connection
  // refused for that reason is tried again shortly (Socket.IO does not retry a refused handshake).
  socket.on('service:status', (s) => setServiceAvailable(socket, s.available));
  socket.on('connect_error', (e: Error & { data?: { code?: string } }) => {
    if (e.data?.code !== ErrorCode.UNAVAILABLE) return;
    setServiceAvailable(socket, false);
    setTimeout(() => socket.active || socket.connect(), UNAVAILABLE_RETRY_MS);
  });
  if (refresh) {
    socket.on('connect_error', (e: Error & { data?: { code?: string } }) => {
      if (e.data?.code === 'UNAUTHENTICATED') void refresh().then((ok) => ok && socket.connect());
    });
  }
  return socket;
}

export async function request<K extends keyof ClientRequests>(
  socket: SignalingSocket,
  name: K,
  payload: ClientRequests[K][0],
  timeoutMs = 15_000,
): Promise<ClientRequests[K][1]> {
  let result: Ack<ClientRequests[K][1]>;
  try {
    const s = socket as unknown as Socket;
    result = (await s.timeout(timeoutMs).emitWithAck(name, payload)) as Ack<ClientRequests[K][1]>;
  } catch {
    throw new VisitaError('TIMEOUT', `${name} timed out`);
  }
  // An answer says whether the service keeps records now, until it says otherwise.
  setServiceAvailable(socket, result.ok || result.code !== ErrorCode.UNAVAILABLE);
  return unwrap(result);
}

/** Resolves once connected; rejects with the server's handshake error code. */
export function whenConnected(socket: SignalingSocket): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error', refused);
      resolve();
    });
    const refused = (e: Error & { data?: { code?: unknown } }) => {
      // Briefly unavailable: the connection is tried again (connectSignaling), keep waiting.
      if (e.data?.code === ErrorCode.UNAVAILABLE) return;
      socket.off('connect_error', refused);
      // The handshake's code, when it is one of ours (anything else reads as "not let in").
      const code = Object.values(ErrorCode).find((c) => c === e.data?.code) ?? ErrorCode.UNAUTHENTICATED;
      reject(new VisitaError(code, e.message));
    };
    socket.on('connect_error', refused);
  });
}

/** Where a signaling connection is: first connecting, connected, or connecting again after a cut. */
export type SignalingState = 'connecting' | 'connected' | 'reconnecting';

const everConnected = new WeakSet<SignalingSocket>();

export function signalingState(socket: SignalingSocket): SignalingState {
  if (socket.connected) return 'connected';
  return everConnected.has(socket) ? 'reconnecting' : 'connecting';
}

/** How long a client waits before connecting again when the service was briefly unavailable. */
export const UNAVAILABLE_RETRY_MS = 2_000;

const serviceDown = new WeakSet<SignalingSocket>();
const serviceChanged = new WeakMap<SignalingSocket, Set<() => void>>();
function setServiceAvailable(socket: SignalingSocket, available: boolean): void {
  if (available !== serviceDown.has(socket)) return;
  if (available) serviceDown.delete(socket);
  else serviceDown.add(socket);
  for (const f of serviceChanged.get(socket) ?? []) f();
}

/** Whether the service keeps records now (false while its Redis is out of reach: calls go on). */
export function useServiceAvailable(socket: SignalingSocket | null): boolean {
  return useSyncExternalStore(
    (changed) => {
      if (!socket) return () => undefined;
      const set = serviceChanged.get(socket) ?? new Set();
      serviceChanged.set(socket, set.add(changed));
      return () => set.delete(changed);
    },
    () => !socket || !serviceDown.has(socket),
  );
}

/** The connection's state for React (re-renders when it connects, drops or tries again). */
export function useSignalingState(socket: SignalingSocket | null): SignalingState | null {
  return useSyncExternalStore(
    (changed) => {
      if (!socket) return () => undefined;
      socket.on('connect', changed);
      socket.on('disconnect', changed);
      socket.io.on('reconnect_attempt', changed);
      return () => {
        socket.off('connect', changed);
        socket.off('disconnect', changed);
        socket.io.off('reconnect_attempt', changed);
      };
    },
    () => (socket ? signalingState(socket) : null),
  );
}
