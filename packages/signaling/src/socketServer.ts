import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { Role, type ClientToServerEvents, type ServerToClientEvents } from '@visita/protocol';
import { practitionerPresenceKey, roleOf, type Notifier } from './ConsultationService.ts';
import type { Logger } from './logger.ts';
import type { PresenceStore } from './store/PresenceStore.ts';
import type { HeldProbe } from './usecases/NetworkProbes.ts';
import type { Identity } from './tokens.ts';
import { identityKey, type ConnectionCaps } from './store/ConnectionCaps.ts';

export interface SocketData {
  identity: Identity;
  /** The consultation this socket joined, if any. */
  consultationId: string | null;
  /** The network test this socket holds (pre-call check), if any: closed with the socket. */
  probe?: HeldProbe | null;
}

/** Between signaling instances (through the Redis Streams adapter). */
export interface InterServerEvents {
  queueChanged: (practitionerId: string, from: number | null, to: number | null) => void;
}
export type SignalingIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * This instance's own events: every queue change, its own and those other instances announce
 * (bindClientHandlers renders them for the sockets held here), and whether it is shutting down.
 */
export class InstanceBus extends EventEmitter<{
  queueChanged: [practitionerId: string, from: number | null, to: number | null];
}> {
  /** Set while the instance shuts down: no more broadcasts, no more departure handling. */
  closing = false;
}

export const consultationRoom = (id: string): string => `c:${id}`;
export const roleRoom = (id: string, role: Role): string => `c:${id}:${role}`;
export const practitionerRoom = (practitionerId: string): string => `p:${practitionerId}`;
/** Every socket of one login session (closed together at logout). */
export const sessionRoom = (sessionId: string): string => `s:${sessionId}`;

export function createSocketServer(http: HttpServer, graceMs: number, log: Logger): SignalingIo {
  const io: SignalingIo = new Server(http, {
    serveClient: false,
    pingInterval: 10_000,
    pingTimeout: 10_000,
    maxHttpBufferSize: 64 * 1024,
    // Small frames: compressing them costs more memory per socket than it saves.
    perMessageDeflate: false,
    httpCompression: false,
    // A client back within the grace period gets its session (id, rooms, data) and the events it
    // missed, through the Redis Streams adapter, on any instance; the handshake checks run again
    // (installHandshake): only the same, still valid identity gets its session back. Clients
    // resynchronise anyway when recovery fails (socket.recovered is false).
    connectionStateRecovery: { maxDisconnectionDuration: graceMs, skipMiddlewares: false },
  });
  log.debug('socket server ready');
  return io;
}

export function socketNotifier(io: SignalingIo, bus: InstanceBus): Notifier {
  const open = () => !bus.closing;
  return {
    queueChanged: (practitionerId, from, to) => {
      if (!open()) return;
      io.serverSideEmit('queueChanged', practitionerId, from, to);
      bus.emit('queueChanged', practitionerId, from, to);
    },
    toConsultation: (id, event, ...args) => open() && io.to(consultationRoom(id)).emit(event, ...args),
    toRole: (id, role, event, ...args) => open() && io.to(roleRoom(id, role)).emit(event, ...args),
    toRoleHere: (id, role, event, ...args) => open() && io.local.to(roleRoom(id, role)).emit(event, ...args),
    toPractitionerHere: (id, event, ...args) => open() && io.local.to(practitionerRoom(id)).emit(event, ...args),
    hasPractitionerHere: (id) => (io.of('/').adapter.rooms.get(practitionerRoom(id))?.size ?? 0) > 0,
    disconnectRole: (id, role) => open() && io.in(roleRoom(id, role)).disconnectSockets(true),
  };
}

/**
 * Keeps this instance's joined connections present in the shared PresenceStore, and every
 * connection counted in ConnectionCaps: a touch every third of the TTL (and at once with `beat()`).
 * If the instance dies, its connections stop counting after the TTL.
 */
export function startPresenceHeartbeat(
  io: SignalingIo,
  presence: PresenceStore,
  caps: ConnectionCaps,
  instanceId: string,
  ttlMs: number,
): { stop: () => void; beat: () => void } {
  const beat = () => {
    const now = Date.now();
    const held: Array<{ identityKey: string; member: string }> = [];
    for (const socket of io.of('/').sockets.values()) {
      const member = presenceMember(instanceId, socket.id);
      const { identity, consultationId } = socket.data;
      held.push({ identityKey: identityKey(identity), member });
      if (consultationId) void presence.touch(consultationId, roleOf(identity), member, now).catch(() => undefined);
      if (identity.kind === 'practitioner')
        void presence
          .touch(practitionerPresenceKey(identity.sub), Role.PRACTITIONER, member, now)
          .catch(() => undefined);
    }
    void caps.renew(held, now).catch(() => undefined);
  };
  const timer = setInterval(beat, Math.max(250, Math.floor(ttlMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer), beat };
}

export const presenceMember = (instanceId: string, socketId: string): string => `${instanceId}:${socketId}`;
