import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import {
  ErrorCode,
  Role,
  VisitaError,
  clientRequestSchemas,
  requestClass,
  fail,
  ok,
  toAckErr,
  type Ack,
  type ClientRequestName,
  type ClientRequests,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@visita/protocol';
import { practitionerPresenceKey, roleOf, type ConsultationService, type Notifier } from './ConsultationService.ts';
import type { Logger } from './logger.ts';
import type { RateLimits } from './rateLimits.ts';
import type { PresenceStore } from './store/PresenceStore.ts';
import type { Identity } from './tokens.ts';
import { SocketBudgets } from './socketBudgets.ts';
import { identityKey, type ConnectionCaps } from './store/ConnectionCaps.ts';

export interface SocketData {
  identity: Identity;
  /** The consultation this socket joined, if any. */
  consultationId: string | null;
}

/** Between signaling instances (through the Redis Streams adapter). */
export interface InterServerEvents {
  queueChanged: (practitionerId: string, from: number | null, to: number | null) => void;
}
export type SignalingIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Set by bindClientHandlers: what this instance does with a queueChanged message. */
export interface LocalHandlers {
  queueChanged?: (practitionerId: string, from: number | null, to: number | null) => void;
  /** Set while the instance shuts down: no more broadcasts, no more departure handling. */
  closing?: boolean;
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

export function socketNotifier(io: SignalingIo, local: LocalHandlers): Notifier {
  const open = () => !local.closing;
  return {
    queueChanged: (practitionerId, from, to) => {
      if (!open()) return;
      io.serverSideEmit('queueChanged', practitionerId, from, to);
      local.queueChanged?.(practitionerId, from, to);
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
 * connection counted in ConnectionCaps: a touch every third of the TTL. If the instance dies, its
 * connections stop counting after the TTL.
 */
export function startPresenceHeartbeat(
  io: SignalingIo,
  presence: PresenceStore,
  caps: ConnectionCaps,
  instanceId: string,
  ttlMs: number,
): () => void {
  const timer = setInterval(
    () => {
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
    },
    Math.max(250, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

export const presenceMember = (instanceId: string, socketId: string): string => `${instanceId}:${socketId}`;

type Handler<K extends ClientRequestName> = (
  socket: ClientSocket,
  payload: ClientRequests[K][0],
) => Promise<ClientRequests[K][1]>;

export interface HandlerDeps {
  service: ConsultationService;
  presence: PresenceStore;
  limits: RateLimits;
  instanceId: string;
  graceMs: number;
  local: LocalHandlers;
  log: Logger;
  /** VISITA_SOCKET_RATE_SCALE. */
  rateScale: number;
}

/** Binds every client request: validate the payload, call the service, answer with a typed ack. */
export function bindClientHandlers(io: SignalingIo, deps: HandlerDeps): void {
  const { service, presence, limits, instanceId, graceMs, local, log, rateScale } = deps;
  local.queueChanged = (practitionerId, from, to) => {
    void service.waitingRoom
      .sendQueueHere(practitionerId, from, to)
      .catch((e: Error) => log.warn({ err: e.message }, 'queue update failed'));
  };
  io.on('queueChanged', (practitionerId, from, to) => local.queueChanged?.(practitionerId, from, to));
  const id = (s: ClientSocket) => s.data.identity;
  const handlers: { [K in ClientRequestName]: Handler<K> } = {
    'consultation:join': async (socket, p) => {
      const who = id(socket);
      if (who.kind === 'patient') await limits.checkIn(who.sub);
      const view = await service.waitingRoom.join(who, p);
      const prev = socket.data.consultationId;
      if (prev && prev !== p.consultationId) await leave(socket);
      socket.data.consultationId = p.consultationId;
      const role = roleOf(id(socket));
      if (role === Role.PATIENT) {
        // One active patient session per link: the newest takes over, older tabs or devices are
        // told and disconnected (they release their media; the call goes on here).
        const older = io.to(roleRoom(p.consultationId, role)).except(socket.id);
        older.emit('session:replaced', { consultationId: p.consultationId });
        io.in(roleRoom(p.consultationId, role)).except(socket.id).disconnectSockets(true);
      }
      await socket.join([consultationRoom(p.consultationId), roleRoom(p.consultationId, role)]);
      await presence.touch(p.consultationId, role, presenceMember(instanceId, socket.id), Date.now());
      await service.waitingRoom.publish(p.consultationId);
      return { ...view, ...(role === Role.PATIENT ? { patientPresent: true } : { practitionerPresent: true }) };
    },
    'consultation:admit': (socket, p) => service.calls.admit(id(socket), p),
    'consultation:hangUp': (socket, p) => service.calls.hangUp(id(socket), p),
    'consultation:decline': (socket, p) => service.calls.decline(id(socket), p),
    'waiting:message': (socket, p) => service.waitingRoom.message(id(socket), p),
    'chat:send': (socket, p) => service.chat.send(id(socket), p),
    'chat:history': (socket, p) => service.chat.history(id(socket), p),
    'queue:watch': async (socket) => {
      const queue = await service.waitingRoom.watchQueue(id(socket));
      await socket.join(practitionerRoom(id(socket).sub));
      return queue;
    },
    'media:routerCapabilities': (socket, p) => service.media.routerCapabilities(id(socket), p),
    'media:createTransport': (socket, p) => service.media.createTransport(id(socket), p),
    'media:connectTransport': (socket, p) => service.media.connectTransport(id(socket), p),
    'media:produce': (socket, p) => service.media.produce(id(socket), p),
    'media:producers': (socket, p) => service.media.producers(id(socket), p),
    'media:consume': (socket, p) => service.media.consume(id(socket), p),
    'media:resumeConsumer': (socket, p) => service.media.resumeConsumer(id(socket), p),
    'media:setProducerPaused': (socket, p) => service.media.setProducerPaused(id(socket), p),
  };

  /** Leaves the consultation now (joining another one). */
  async function leave(socket: ClientSocket): Promise<void> {
    const cid = socket.data.consultationId;
    if (!cid) return;
    const role = roleOf(id(socket));
    socket.data.consultationId = null;
    await socket.leave(consultationRoom(cid));
    await socket.leave(roleRoom(cid, role));
    await presence.remove(cid, role, presenceMember(instanceId, socket.id));
    // The participant's last connection (on any instance) is gone.
    if (!(await presence.isPresent(cid, role, Date.now()))) await service.calls.leave(role, cid);
    else await service.waitingRoom.publish(cid);
  }

  /**
   * A dropped connection: everyone sees the participant disconnected at once, but their place in
   * the waiting room and their media in a call are kept for the grace period; freed only if they
   * have not come back (on any instance) by then. The deadline lives in Redis: the shared sweeper
   * honours it even if this instance dies meanwhile.
   */
  async function dropped(socket: ClientSocket): Promise<void> {
    const cid = socket.data.consultationId;
    if (!cid) return;
    const role = roleOf(id(socket));
    await presence.remove(cid, role, presenceMember(instanceId, socket.id));
    await service.calls.dropped(cid, role, Date.now(), graceMs);
  }

  io.on('connection', (socket) => {
    const budgets = new SocketBudgets(rateScale);
    if (socket.data.identity.kind === 'practitioner') void socket.join(sessionRoom(socket.data.identity.sid));
    for (const name of Object.keys(handlers) as ClientRequestName[]) {
      socket.on(name, (async (payload: unknown, ack: unknown) => {
        if (typeof ack !== 'function') return; // nobody to answer: ignore, change nothing
        const reply = ack as (r: Ack<unknown>) => void;
        const verdict = budgets.spend(requestClass[name], Date.now());
        if (verdict !== 'ok') {
          reply(fail(ErrorCode.RATE_LIMITED, 'too many requests; slow down'));
          if (verdict === 'disconnect') {
            log.warn({ event: name }, 'socket disconnected: request flood');
            socket.disconnect(true);
          }
          return;
        }
        const parsed = clientRequestSchemas[name].safeParse(payload);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return reply(
            fail(
              ErrorCode.BAD_REQUEST,
              `${name}: ${issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'invalid payload'}`,
            ),
          );
        }
        try {
          const handler = handlers[name] as Handler<typeof name>;
          reply(ok(await handler(socket, parsed.data as never)));
        } catch (e) {
          if (!(e instanceof VisitaError)) log.error({ event: name, err: (e as Error).message }, 'handler failed');
          reply(toAckErr(e));
        }
      }) as never);
    }
    const identity = socket.data.identity;
    if (socket.recovered && socket.data.consultationId) {
      // Back within the grace period with its session: present again, nothing to rebuild.
      const cid = socket.data.consultationId;
      void presence
        .touch(cid, roleOf(identity), presenceMember(instanceId, socket.id), Date.now())
        .then(() => service.waitingRoom.publish(cid))
        .catch(() => undefined);
    }
    if (identity.kind === 'practitioner') {
      // The practitioner's dashboard presence (their status as waiting patients see it).
      void presence
        .touch(
          practitionerPresenceKey(identity.sub),
          Role.PRACTITIONER,
          presenceMember(instanceId, socket.id),
          Date.now(),
        )
        .then(() => service.waitingRoom.publishQueue(identity.sub, 1))
        .catch(() => undefined);
    }
    socket.on('disconnect', () => {
      if (local.closing) return; // the instance is stopping: others take over by presence expiry
      void (async () => {
        await dropped(socket);
        if (identity.kind === 'practitioner') {
          await presence.remove(
            practitionerPresenceKey(identity.sub),
            Role.PRACTITIONER,
            presenceMember(instanceId, socket.id),
          );
          await service.waitingRoom.publishQueue(identity.sub, 1);
        }
      })().catch((e: Error) => log.warn({ err: e.message }, 'leave failed'));
    });
  });
}
