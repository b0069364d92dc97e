import { ErrorCode, Role, VisitaError, type ClientRequests, type ConsultationView } from '@visita/protocol';
import { assertAllowed, type Consultation } from '../domain/consultation.ts';
import { applyEntryEvent, waitingEntryFrom } from '../domain/waitingEntry.ts';
import { otherRole } from '../notifier.ts';
import type { Identity } from '../tokens.ts';
import type { MediaMoveReason, UseCaseContext } from './context.ts';
import type { Consultations } from './Consultations.ts';
import type { Lifecycle } from './Lifecycle.ts';
import type { WaitingRoom } from './WaitingRoom.ts';

type Req<K extends keyof ClientRequests> = ClientRequests[K][0];
type Res<K extends keyof ClientRequests> = Promise<ClientRequests[K][1]>;

/**
 * A consultation's call: admit (a router on a node), hang-up and decline, participants' departures
 * with their grace period as deadlines in Redis (both gone: abandoned), metering heartbeats, and
 * re-placing a room whose worker died. Every state change goes through Lifecycle.
 */
export class Calls {
  readonly #ctx: UseCaseContext;
  readonly #consultations: Consultations;
  readonly #waitingRoom: WaitingRoom;
  readonly #lifecycle: Lifecycle;

  constructor(ctx: UseCaseContext, consultations: Consultations, waitingRoom: WaitingRoom, lifecycle: Lifecycle) {
    this.#ctx = ctx;
    this.#consultations = consultations;
    this.#waitingRoom = waitingRoom;
    this.#lifecycle = lifecycle;
    ctx.sfu.on('consumerClosed', ({ roomId, peerId, consumerId }) => {
      if (peerId === Role.PATIENT || peerId === Role.PRACTITIONER)
        ctx.notify.toRoleHere(roomId, peerId, 'media:consumerClosed', { consumerId });
    });
    ctx.sfu.on('roomClosed', ({ roomId, reason }) => {
      // The room is gone from a node that is still up: its worker died, or it finished draining.
      if (reason === 'worker_died' || reason === 'drained')
        this.#recoverRoom(roomId, reason).catch((e: Error) =>
          ctx.log.error({ consultationId: roomId, err: e.message }, 'lost media room not recovered'),
        );
    });
    ctx.sfu.on('nodeLost', ({ nodeId }) => {
      this.#recoverNode(nodeId).catch((e: Error) =>
        ctx.log.error({ nodeId, err: e.message }, 'calls of a lost media node not recovered'),
      );
    });
  }

  async admit(identity: Identity, p: Req<'consultation:admit'>): Res<'consultation:admit'> {
    const { sfu } = this.#ctx;
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can admit');
    const c = await this.#consultations.authorize(identity, p.consultationId);
    // Both machines agree before a room is opened: the consultation can be admitted, and so can
    // the patient's waiting entry (a patient who is not connected cannot be brought into a call).
    assertAllowed(c, 'admit');
    const now = this.#ctx.now();
    const [queued, connected] = await Promise.all([
      this.#ctx.queue.entry(c.practitionerId, c.id),
      this.#ctx.presence.isPresent(c.id, Role.PATIENT, now),
    ]);
    const entry = queued && waitingEntryFrom(queued, connected, null, now);
    if (!entry || !applyEntryEvent(entry, { type: 'admit', by: identity.sub, now }).ok)
      throw new VisitaError(ErrorCode.INVALID_STATE, 'the patient is not in the waiting room');
    if (await this.#ctx.admissions.get(c.id)) return this.#consultations.view(c); // already waiting for capacity
    let nodeId: string;
    try {
      nodeId = await sfu.place();
    } catch (e) {
      if (!(e instanceof VisitaError && e.code === ErrorCode.NO_MEDIA_CAPACITY)) throw e;
      return this.#waitForCapacity(identity, c, now);
    }
    const admitted = await this.#startCall(c, nodeId, identity);
    if (!admitted) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    this.#ctx.observer.admitted(Math.max(0, now - entry.checkedInAt));
    return this.#consultations.view(admitted);
  }

  /**
   * Starts the calls whose admission waited for media capacity, oldest first, while nodes have
   * room (one instance at a time: the background pass holds a claim). An admission whose patient
   * left, or whose consultation changed (declined, hung up, admitted elsewhere), is dropped; one
   * whose patient is briefly disconnected waits for them. Returns how many calls started.
   */
  async startPendingAdmissions(limit = 50): Promise<number> {
    const { admissions, store, queue, presence, sfu, log } = this.#ctx;
    let started = 0;
    for (const a of await admissions.oldest(limit)) {
      const c = await store.get(a.consultationId);
      const entry = c?.state === 'waiting' ? await queue.entry(c.practitionerId, c.id) : null;
      if (!c || !entry) {
        await admissions.remove(a.consultationId);
        if (c) await this.#waitingRoom.publish(c.id);
        continue;
      }
      if (!(await presence.isPresent(c.id, Role.PATIENT, this.#ctx.now()))) continue; // back within the grace period, or expired by the sweep
      let nodeId: string;
      try {
        nodeId = await sfu.place();
      } catch (e) {
        if (e instanceof VisitaError && e.code === ErrorCode.NO_MEDIA_CAPACITY) break; // still full: the next pass tries again
        throw e;
      }
      const admitted = await this.#startCall(c, nodeId, a.by).catch((e: Error) => {
        log.warn({ consultationId: c.id, err: e.message }, 'a delayed admission could not start its call');
        return null;
      });
      await admissions.remove(c.id);
      if (!admitted) {
        await this.#waitingRoom.publish(c.id);
        continue;
      }
      const now = this.#ctx.now();
      this.#ctx.observer.admitted(Math.max(0, a.since - entry.checkedInAt));
      this.#ctx.observer.admissionResumed(Math.max(0, now - a.since));
      log.info({ consultationId: c.id, nodeId, waitedMs: now - a.since }, 'delayed admission started its call');
      started++;
    }
    return started;
  }

  /**
   * No node has room: the admission waits (the practitioner and the patient are shown it, with the
   * autoscaler's estimate) and the call starts by itself once a node has room.
   */
  async #waitForCapacity(identity: Identity, c: Consultation, now: number): Promise<ConsultationView> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can admit');
    const added = await this.#ctx.admissions.add({
      consultationId: c.id,
      practitionerId: c.practitionerId,
      since: now,
      by: identity,
    });
    if (added) {
      this.#ctx.observer.admissionDelayed();
      this.#ctx.log.warn({ consultationId: c.id }, 'no media capacity: the admission waits for a node with room');
    }
    const view = await this.#consultations.view(c);
    this.#ctx.notify.toConsultation(c.id, 'consultation:updated', view);
    return view;
  }

  /** Opens the room on `nodeId` and admits; null (room freed) when another transition won the race. */
  async #startCall(c: Consultation, nodeId: string, actor: Identity): Promise<Consultation | null> {
    await (await this.#ctx.sfu.client(nodeId)).call('room.open', { roomId: c.id });
    const admitted = await this.#lifecycle.apply(c, { type: 'admit', nodeId }, actor);
    if (!admitted) {
      // Another admit or a hang-up won the race: free the router this call opened, unless the winner uses it.
      const now = await this.#ctx.store.get(c.id);
      if (now?.state !== 'in_call' || now.nodeId !== nodeId) await this.#lifecycle.closeRoom(c.id, nodeId);
    }
    return admitted;
  }

  async hangUp(identity: Identity, p: Req<'consultation:hangUp'>): Res<'consultation:hangUp'> {
    const c = await this.#consultations.authorize(identity, p.consultationId);
    return this.#consultations.view(await this.#lifecycle.applyOrThrow(c, { type: 'hangUp' }, identity));
  }

  async decline(identity: Identity, p: Req<'consultation:decline'>): Res<'consultation:decline'> {
    if (identity.kind !== 'practitioner')
      throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can decline');
    const c = await this.#consultations.authorize(identity, p.consultationId);
    const event = { type: 'decline', ...(p.reason ? { message: p.reason } : {}) } as const;
    return this.#consultations.view(await this.#lifecycle.applyOrThrow(c, event, identity));
  }

  /**
   * A participant's last connection left for good (the grace period ran out): free their media on
   * the node, dated when they left; if the other side is gone too, the consultation is over.
   */
  async leave(role: Role, consultationId: string, goneAt = this.#ctx.now()): Promise<void> {
    const c = await this.#ctx.store.get(consultationId);
    if (c?.state === 'in_call') {
      const client = await this.#ctx.sfu.client(c.nodeId).catch(() => undefined);
      await client?.call('peer.close', { roomId: c.id, peerId: role }).catch(() => undefined);
      // Their media stopped when they left, not when the grace period ran out.
      await this.#ctx.metering(c, 'media_down', `${role}:down:${goneAt}`, role, goneAt);
      const at = this.#ctx.now();
      if (!(await this.#ctx.presence.isPresent(c.id, otherRole(role), at))) {
        if (await this.#lifecycle.apply(c, { type: 'abandon' }, 'system')) return;
      }
    }
    await this.#waitingRoom.publish(consultationId);
  }

  /**
   * A participant dropped (their connection closed): their grace period runs in the shared store,
   * from when they left, or from `notBefore` if later (they left while Redis was out of reach: this
   * is written once it is back, and the grace runs from then).
   */
  async dropped(
    consultationId: string,
    role: Role,
    goneAt: number,
    graceMs: number,
    notBefore: number | null = null,
  ): Promise<void> {
    await this.#ctx.deadlines.schedule({ consultationId, role, goneAt }, Math.max(goneAt, notBefore ?? 0) + graceMs);
    await this.#waitingRoom.publish(consultationId);
  }

  /**
   * One pass over the calls in progress (one instance at a time): a participant absent without a
   * deadline (their instance died, nobody saw them go) gets one, dated when last seen; its grace
   * period runs from then, but not from before `notBefore` (Redis came back then: an absence while
   * it was out of reach gets its grace from Redis's return; their media still counts as gone when
   * they were last seen). Then every deadline due is honoured, whichever instance set it. Returns
   * how many fired.
   */
  async sweep(graceMs: number, now = this.#ctx.now(), notBefore: number | null = null): Promise<number> {
    const { store, presence, deadlines } = this.#ctx;
    const calls = await store.inCallIds();
    for (const role of [Role.PATIENT, Role.PRACTITIONER]) {
      const present = await presence.presentMany(calls, role, now);
      for (const [i, consultationId] of calls.entries()) {
        if (present[i]) continue;
        const goneAt = (await presence.lastSeen(consultationId, role)) ?? now;
        await deadlines.scheduleIfAbsent({ consultationId, role, goneAt }, Math.max(goneAt, notBefore ?? 0) + graceMs);
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
    if (c?.state === 'in_call')
      await this.#ctx.metering(c, 'heartbeat', `hb:${Math.floor(now / slotMs)}`, undefined, now);
  }

  /** A whole node was lost: every call it hosted is placed again. */
  async #recoverNode(nodeId: string): Promise<void> {
    const ids = await this.#ctx.store.inCallIds();
    await Promise.all(ids.map((id) => this.#recoverRoom(id, 'node_lost', nodeId)));
  }

  /**
   * The node lost the room (its worker died, or the node itself): place it again and have both
   * sides rebuild media. `lostNode`: only if the call is still on that node.
   */
  async #recoverRoom(consultationId: string, reason: MediaMoveReason, lostNode?: string): Promise<void> {
    const { store, sfu, claims, log } = this.#ctx;
    const c = await store.get(consultationId);
    if (c?.state !== 'in_call' || (lostNode !== undefined && c.nodeId !== lostNode)) return;
    // Every instance connected to the node hears the loss; one of them re-places the room.
    if (!(await claims.claim(`recover:${c.id}:${c.nodeId}`, 30_000))) return;
    try {
      const nodeId = await sfu.place();
      await (await sfu.client(nodeId)).call('room.open', { roomId: c.id });
      if (await this.#lifecycle.apply(c, { type: 'moveMedia', nodeId }, 'system')) {
        log.warn({ consultationId: c.id, nodeId, reason }, 'media room lost; re-placed');
        this.#ctx.observer.mediaMoved(reason);
      } else await this.#lifecycle.closeRoom(c.id, nodeId); // the call ended meanwhile
    } catch (e) {
      log.error({ consultationId: c.id, err: (e as Error).message }, 'media room lost and could not be re-placed');
      await this.#lifecycle.apply(c, { type: 'loseMedia' }, 'system');
    }
  }
}
