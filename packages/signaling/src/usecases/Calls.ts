import { ConsultationState, EndReason, ErrorCode, Role, VisitaError, type ClientRequests } from '@visita/protocol';
import { ConsultationEvent, nextState, type Consultation } from '../domain/consultation.ts';
import { otherRole, roleOf } from '../notifier.ts';
import { AuditAction } from '../store/AuditStore.ts';
import type { Identity } from '../tokens.ts';
import type { UseCaseContext } from './context.ts';
import type { Consultations } from './Consultations.ts';
import type { WaitingRoom } from './WaitingRoom.ts';

type Req<K extends keyof ClientRequests> = ClientRequests[K][0];
type Res<K extends keyof ClientRequests> = Promise<ClientRequests[K][1]>;

/**
 * A consultation's call: admit (a router on a node), the one way a consultation ends (hang-up,
 * decline, abandoned, media lost), participants' departures with their grace period as deadlines
 * in Redis, metering heartbeats, and re-placing a room whose worker died.
 */
export class Calls {
  readonly #ctx: UseCaseContext;
  readonly #consultations: Consultations;
  readonly #waitingRoom: WaitingRoom;

  constructor(ctx: UseCaseContext, consultations: Consultations, waitingRoom: WaitingRoom) {
    this.#ctx = ctx;
    this.#consultations = consultations;
    this.#waitingRoom = waitingRoom;
    ctx.sfu.on('consumerClosed', ({ roomId, peerId, consumerId }) => {
      if (peerId === Role.PATIENT || peerId === Role.PRACTITIONER)
        ctx.notify.toRoleHere(roomId, peerId, 'media:consumerClosed', { consumerId });
    });
    ctx.sfu.on('roomClosed', ({ roomId, reason }) => {
      if (reason === 'worker_died') void this.#recoverRoom(roomId);
    });
  }

  async admit(identity: Identity, p: Req<'consultation:admit'>): Res<'consultation:admit'> {
    const { store, sfu, notify } = this.#ctx;
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can admit');
    const c = await this.#consultations.authorize(identity, p.consultationId);
    nextState(c.state, ConsultationEvent.ADMIT);
    const presence = await notify.presence(c.id);
    if (!presence.patient) throw new VisitaError(ErrorCode.INVALID_STATE, 'the patient is not in the waiting room');
    const nodeId = await sfu.place();
    await (await sfu.client(nodeId)).call('room.open', { roomId: c.id });
    const admitted = await store.compareAndSet(c.id, ConsultationState.WAITING, ConsultationState.IN_CALL, {
      nodeId,
      admittedAt: this.#ctx.now(),
    });
    if (!admitted) {
      // Another admit or a hang-up won the race: free the router this call opened, unless the winner uses it.
      const now = await store.get(c.id);
      if (now?.nodeId !== nodeId || now.state !== ConsultationState.IN_CALL) await this.#closeRoom(c.id, nodeId);
      throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    }
    this.#ctx.log.info({ consultationId: c.id, nodeId }, 'patient admitted');
    await this.#ctx.metering(c, 'admitted', 'admitted', undefined, admitted.admittedAt ?? this.#ctx.now());
    await this.#ctx.record(AuditAction.ADMITTED, identity, c);
    await this.#ctx.queue.remove(c.practitionerId, c.id);
    const view = await this.#consultations.view(admitted);
    notify.toConsultation(c.id, 'consultation:admitted', view);
    // Everyone's estimate changes (the practitioner is now in a call), and those behind moved up.
    await this.#waitingRoom.publishQueue(c.practitionerId, 1);
    return view;
  }

  async hangUp(identity: Identity, p: Req<'consultation:hangUp'>): Res<'consultation:hangUp'> {
    const c = await this.#consultations.authorize(identity, p.consultationId);
    nextState(c.state, ConsultationEvent.HANG_UP);
    const ended = await this.#end(c, c.state, { reason: EndReason.HUNG_UP, actor: identity, at: this.#ctx.now() });
    if (!ended) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    return this.#consultations.view(ended);
  }

  async decline(identity: Identity, p: Req<'consultation:decline'>): Res<'consultation:decline'> {
    if (identity.kind !== 'practitioner')
      throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can decline');
    const c = await this.#consultations.authorize(identity, p.consultationId);
    if (c.state !== ConsultationState.WAITING)
      throw new VisitaError(ErrorCode.INVALID_STATE, `cannot decline: consultation is ${c.state}`);
    const ended = await this.#end(c, ConsultationState.WAITING, {
      reason: EndReason.DECLINED,
      actor: identity,
      at: this.#ctx.now(),
      message: p.reason,
    });
    if (!ended) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    return this.#consultations.view(ended);
  }

  /**
   * The one way a consultation ends, whoever ends it (hang-up, decline, both participants gone,
   * media lost): the state first (compare-and-set from `from`), then, whatever the media node
   * does, the room closed (best effort), metering (for a call), the audit record, the queue and
   * both sides told. Null when the consultation changed meanwhile (nothing done).
   */
  async #end(
    c: Consultation,
    from: ConsultationState,
    how: { reason: EndReason; actor: Identity | 'system'; at: number; message?: string },
  ): Promise<Consultation | null> {
    const ended = await this.#ctx.store.compareAndSet(c.id, from, ConsultationState.ENDED, { endedAt: how.at });
    if (!ended) return null;
    if (c.nodeId) await this.#closeRoom(c.id, c.nodeId);
    this.#ctx.log.info(
      { consultationId: c.id, reason: how.reason, by: how.actor === 'system' ? 'system' : roleOf(how.actor) },
      'consultation ended',
    );
    if (from === ConsultationState.IN_CALL) await this.#ctx.metering(c, 'ended', 'ended', undefined, how.at);
    await this.#ctx.record(how.reason === EndReason.DECLINED ? AuditAction.DECLINED : AuditAction.ENDED, how.actor, c);
    const position = await this.#waitingRoom.leaveQueue(c);
    this.#ctx.notify.toConsultation(c.id, 'consultation:ended', {
      consultationId: c.id,
      reason: how.reason,
      ...(how.message ? { message: how.message } : {}),
    });
    // Those behind a declined patient moved up; after a call, the practitioner's status (and so
    // every waiting patient's estimate) changed.
    await this.#waitingRoom.publishQueue(c.practitionerId, position ?? 1);
    return ended;
  }

  /** Closes the consultation's media room; a node that is gone or does not answer changes nothing else. */
  async #closeRoom(consultationId: string, nodeId: string): Promise<void> {
    try {
      await (await this.#ctx.sfu.client(nodeId)).call('room.close', { roomId: consultationId });
    } catch (e) {
      this.#ctx.log.warn({ consultationId, nodeId, err: (e as Error).message }, 'room close failed');
    }
  }

  /**
   * A participant's last connection left for good (the grace period ran out): free their media on
   * the node, dated when they left; if the other side is gone too, the consultation is over.
   */
  async leave(role: Role, consultationId: string, goneAt = this.#ctx.now()): Promise<void> {
    const c = await this.#ctx.store.get(consultationId);
    if (c?.state === ConsultationState.IN_CALL && c.nodeId) {
      const client = await this.#ctx.sfu.client(c.nodeId).catch(() => undefined);
      await client?.call('peer.close', { roomId: c.id, peerId: role }).catch(() => undefined);
      // Their media stopped when they left, not when the grace period ran out.
      await this.#ctx.metering(c, 'media_down', `${role}:down:${goneAt}`, role, goneAt);
      const at = this.#ctx.now();
      if (!(await this.#ctx.presence.isPresent(c.id, otherRole(role), at))) {
        if (await this.#end(c, ConsultationState.IN_CALL, { reason: EndReason.ABANDONED, actor: 'system', at })) return;
      }
    }
    await this.#waitingRoom.publish(consultationId);
  }

  /** A participant dropped (their connection closed): their grace period runs in the shared store. */
  async dropped(consultationId: string, role: Role, goneAt: number, graceMs: number): Promise<void> {
    await this.#ctx.deadlines.schedule({ consultationId, role, goneAt }, goneAt + graceMs);
    await this.#waitingRoom.publish(consultationId);
  }

  /**
   * One pass over the calls in progress (one instance at a time): a participant absent without a
   * deadline (their instance died, nobody saw them go) gets one, dated when last seen; then every
   * deadline due is honoured, whichever instance set it. Returns how many fired.
   */
  async sweep(graceMs: number, now = this.#ctx.now()): Promise<number> {
    const { store, presence, deadlines } = this.#ctx;
    const calls = await store.inCallIds();
    for (const role of [Role.PATIENT, Role.PRACTITIONER]) {
      const present = await presence.presentMany(calls, role, now);
      for (const [i, consultationId] of calls.entries()) {
        if (present[i]) continue;
        const goneAt = (await presence.lastSeen(consultationId, role)) ?? now;
        await deadlines.scheduleIfAbsent({ consultationId, role, goneAt }, goneAt + graceMs);
      }
    }
    let fired = 0;
    for (const d of await deadlines.takeDue(now, 500)) {
      if (await presence.isPresent(d.consultationId, d.role, now)) continue; // back in time
      await this.leave(d.role, d.consultationId, d.goneAt);
      fired++;
    }
    return fired;
  }

  /** A heartbeat for a call in progress (several instances in one slot count once). */
  async meterHeartbeat(consultationId: string, slotMs: number, now = this.#ctx.now()): Promise<void> {
    const c = await this.#ctx.store.get(consultationId);
    if (c?.state === ConsultationState.IN_CALL)
      await this.#ctx.metering(c, 'heartbeat', `hb:${Math.floor(now / slotMs)}`, undefined, now);
  }

  /** The node lost the room (its worker died): place it again and have both sides rebuild media. */
  async #recoverRoom(consultationId: string): Promise<void> {
    const { store, sfu, notify, log } = this.#ctx;
    const c = await store.get(consultationId);
    if (c?.state !== ConsultationState.IN_CALL) return;
    // Every instance connected to the node hears the loss; one of them re-places the room.
    if (!(await notify.claim(`recover:${c.id}:${c.nodeId}`, 30_000))) return;
    try {
      const nodeId = await sfu.place();
      await (await sfu.client(nodeId)).call('room.open', { roomId: c.id });
      await store.setNode(c.id, nodeId);
      log.warn({ consultationId: c.id, nodeId }, 'media room lost; re-placed');
      const fresh = await store.get(c.id);
      if (fresh) notify.toConsultation(c.id, 'consultation:admitted', await this.#consultations.view(fresh));
    } catch (e) {
      log.error({ consultationId: c.id, err: (e as Error).message }, 'media room lost and could not be re-placed');
      await this.#end(c, ConsultationState.IN_CALL, {
        reason: EndReason.MEDIA_LOST,
        actor: 'system',
        at: this.#ctx.now(),
      });
    }
  }
}
