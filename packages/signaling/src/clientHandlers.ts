import {
  ErrorCode,
  Role,
  VisitaError,
  clientRequestSchemas,
  requestClass,
  fail,
  ok,
  type Ack,
  type ClientRequestName,
  type ClientRequests,
} from '@visita/protocol';
import { practitionerPresenceKey, roleOf, type ConsultationService } from './ConsultationService.ts';
import type { Logger } from './logger.ts';
import type { RateLimits } from './rateLimits.ts';
import { SocketBudgets } from './socketBudgets.ts';
import {
  consultationRoom,
  practitionerRoom,
  presenceMember,
  roleRoom,
  sessionRoom,
  type ClientSocket,
  type InstanceBus,
  type SignalingIo,
} from './socketServer.ts';
import type { PresenceStore } from './store/PresenceStore.ts';
import type { HeldProbe } from './usecases/NetworkProbes.ts';
import { answerFor } from './redis/answer.ts';
import type { RedisHealth } from './redis/RedisHealth.ts';

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
  bus: InstanceBus;
  log: Logger;
  /** VISITA_SOCKET_RATE_SCALE. */
  rateScale: number;
  /** A request answered with an error (for metrics). */
  onRefused?: (code: ErrorCode) => void;
  /**
   * Whether Redis can be reached: a client connecting while it cannot is told (service:status), and
   * departures that could not be written meanwhile are written when it is back.
   */
  health: Pick<RedisHealth, 'available' | 'backAt' | 'on'>;
}

/** Binds every client request: validate the payload, call the service, answer with a typed ack. */
export function bindClientHandlers(io: SignalingIo, deps: HandlerDeps): void {
  const { service, presence, limits, instanceId, graceMs, bus, log, rateScale } = deps;
  bus.on('queueChanged', (practitionerId, from, to) => {
    void service.waitingRoom
      .sendQueueHere(practitionerId, from, to)
      .catch((e: Error) => log.warn({ err: e.message }, 'queue update failed'));
  });
  // Another instance's queue change: rendered here for the sockets this instance holds.
  io.on('queueChanged', (practitionerId, from, to) => bus.emit('queueChanged', practitionerId, from, to));
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
    'media:decoders': (socket, p) => service.media.decoders(id(socket), p),
    'media:createTransport': (socket, p) => service.media.createTransport(id(socket), p),
    'media:connectTransport': (socket, p) => service.media.connectTransport(id(socket), p),
    'media:restartIce': (socket, p) => service.media.restartIce(id(socket), p),
    'media:iceServers': (socket, p) => service.media.iceServers(id(socket), p),
    'media:produce': (socket, p) => service.media.produce(id(socket), p),
    'media:producers': (socket, p) => service.media.producers(id(socket), p),
    'media:consume': (socket, p) => service.media.consume(id(socket), p),
    'media:resumeConsumer': (socket, p) => service.media.resumeConsumer(id(socket), p),
    'media:setProducerPaused': (socket, p) => service.media.setProducerPaused(id(socket), p),
    'probe:open': async (socket, p) => {
      const who = id(socket);
      await limits.probe(`${who.kind}:${who.sub}`);
      const { held, opened } = await service.probes.open(who, p);
      // One test per connection: a newer one replaces it; one opened as the socket went is closed.
      const previous = socket.data.probe;
      socket.data.probe = socket.connected ? held : null;
      if (previous) closeProbe(previous);
      if (!socket.connected) closeProbe(held);
      return opened;
    },
    'probe:connect': (socket, p) => service.probes.connect(heldProbe(socket, p.probeId), p.dtlsParameters),
    'probe:produce': (socket, p) => service.probes.produce(heldProbe(socket, p.probeId), p.kind, p.rtpParameters),
    'probe:close': (socket, p) => {
      const held = heldProbe(socket, p.probeId);
      socket.data.probe = null;
      return service.probes.close(held);
    },
  };

  /** The network test this socket opened, by its id; another's (or an expired one) is not found. */
  function heldProbe(socket: ClientSocket, probeId: string): HeldProbe {
    const held = socket.data.probe;
    if (!held || held.probeId !== probeId)
      throw new VisitaError(ErrorCode.NOT_FOUND, 'no such network test on this connection');
    return held;
  }
  function closeProbe(held: HeldProbe): void {
    service.probes.close(held).catch((e: Error) => log.debug({ err: e.message }, 'network test already closed'));
  }

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
    const member = presenceMember(instanceId, socket.id);
    const goneAt = Date.now();
    try {
      await presence.remove(cid, role, member);
      await service.calls.dropped(cid, role, goneAt, graceMs);
    } catch (e) {
      if (answerFor(e).code !== ErrorCode.UNAVAILABLE) throw e;
      // Redis out of reach: written when it is back, dated when they left (their media and billing
      // stop then), with their grace period from Redis's return.
      unwritten.push({ cid, role, member, goneAt });
    }
  }
  const unwritten: Array<{ cid: string; role: Role; member: string; goneAt: number }> = [];
  deps.health.on('change', (available) => {
    if (!available) return;
    for (const d of unwritten.splice(0)) {
      void (async () => {
        await presence.remove(d.cid, d.role, d.member);
        await service.calls.dropped(d.cid, d.role, d.goneAt, graceMs, deps.health.backAt);
      })().catch((e: Error) => log.warn({ consultationId: d.cid, err: e.message }, 'departure not written'));
    }
  });

  io.on('connection', (socket) => {
    const budgets = new SocketBudgets(rateScale);
    if (socket.data.identity.kind === 'practitioner') void socket.join(sessionRoom(socket.data.identity.sid));
    for (const name of Object.keys(handlers) as ClientRequestName[]) {
      socket.on(name, (async (payload: unknown, ack: unknown) => {
        if (typeof ack !== 'function') return; // nobody to answer: ignore, change nothing
        const reply = (r: Ack<unknown>) => {
          if (!r.ok) deps.onRefused?.(r.code);
          (ack as (r: Ack<unknown>) => void)(r);
        };
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
          const answer = answerFor(e);
          if (answer.code === ErrorCode.INTERNAL)
            log.error({ event: name, err: (e as Error).message }, 'handler failed');
          reply(answer);
        }
      }) as never);
    }
    const identity = socket.data.identity;
    if (!deps.health.available) socket.emit('service:status', { available: false });
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
      const probe = socket.data.probe;
      socket.data.probe = null;
      if (probe) closeProbe(probe);
      if (bus.closing) return; // the instance is stopping: others take over by presence expiry
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
