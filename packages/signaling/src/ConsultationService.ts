import { randomUUID } from 'node:crypto';
import {
  ConsultationState,
  EndReason,
  ErrorCode,
  Role,
  VisitaError,
  type ClientRequests,
  type ConsultationView,
  QUEUE_VIEW_LIMIT,
  CHAT_PAGE_MAX,
  type PractitionerStatus,
  type QueueView,
  type ServerToClientEvents,
} from '@visita/protocol';
import { ConsultationEvent, nextState, type Consultation } from './domain/consultation.ts';
import { estimateWaitMs, practitionerStatus } from './domain/queue.ts';
import { applyEntryEvent } from './domain/waitingEntry.ts';
import { AuditAction, type AuditStore } from './store/AuditStore.ts';
import { MediaCalls } from './MediaCalls.ts';
import { otherRole, practitionerPresenceKey, roleOf, type Notifier } from './notifier.ts';
import type { MeteringEvent } from './metering/events.ts';
import { chatPage, type ChatStore } from './store/ChatStore.ts';
import type { PresenceStore } from './store/PresenceStore.ts';
import type { WaitingQueueStore } from './store/WaitingQueueStore.ts';
import type { Logger } from './logger.ts';
import type { SfuRegistry } from './sfu/SfuRegistry.ts';
import type { ConsultationStore } from './store/ConsultationStore.ts';
import type { DeadlineStore } from './store/DeadlineStore.ts';
import type { Identity } from './tokens.ts';

type Req<K extends keyof ClientRequests> = ClientRequests[K][0];
type Res<K extends keyof ClientRequests> = Promise<ClientRequests[K][1]>;

export { practitionerPresenceKey, roleOf, type Notifier };

/**
 * The consultation use cases: join, admit, hang up, and the media calls forwarded to the SFU node
 * hosting the consultation. Callers are already authenticated; every call checks that the caller
 * belongs to the consultation it touches and that the consultation is in the right state.
 */
export class ConsultationService {
  readonly #store: ConsultationStore;
  readonly #queue: WaitingQueueStore;
  readonly #presence: PresenceStore;
  readonly #audit: AuditStore;
  readonly #deadlines: DeadlineStore;
  readonly #chat: ChatStore;
  readonly #meter: (e: MeteringEvent) => Promise<unknown>;
  /** The media calls (forwarded to the node hosting the consultation). */
  readonly media: MediaCalls;
  readonly #instanceId: string;
  readonly #sfu: SfuRegistry;
  readonly #notify: Notifier;
  readonly #log: Logger;

  constructor(
    deps: { store: ConsultationStore; queue: WaitingQueueStore; presence: PresenceStore;
      audit: AuditStore;
      deadlines: DeadlineStore;
      chat: ChatStore;
      meter: (e: MeteringEvent) => Promise<unknown>;
      instanceId: string;
    },
    sfu: SfuRegistry,
    notify: Notifier,
    log: Logger,
  ) {
    this.#store = deps.store;
    this.#queue = deps.queue;
    this.#presence = deps.presence;
    this.#audit = deps.audit;
    this.#deadlines = deps.deadlines;
    this.#chat = deps.chat;
    this.#meter = deps.meter;
    this.media = new MediaCalls(sfu, notify, (identity, id) => this.authorize(identity, id), async (identity, c, producerId) => {
      // One record per media session: its microphone is produced once.
      await this.#metering(c, 'media_up', `${roleOf(identity)}:up:${producerId}`, roleOf(identity));
      await this.#record(AuditAction.JOINED_MEDIA, identity, c);
    });
    this.#instanceId = deps.instanceId;
    this.#sfu = sfu;
    this.#notify = notify;
    this.#log = log;
    sfu.on('consumerClosed', ({ roomId, peerId, consumerId }) => {
      if (peerId === Role.PATIENT || peerId === Role.PRACTITIONER) {
        this.#notify.toRoleHere(roomId, peerId, 'media:consumerClosed', { consumerId });
      }
    });
    sfu.on('roomClosed', ({ roomId, reason }) => {
      if (reason === 'worker_died') void this.#recoverRoom(roomId);
    });
  }

  /** Appends a metering fact; `key` makes a retry of the same fact count once. */
  async #metering(c: Consultation, type: MeteringEvent['type'], key: string, role?: Role, at = Date.now()): Promise<void> {
    await this.#meter({ key: `${c.id}:${key}`, type, consultationId: c.id, practitionerId: c.practitionerId, at, ...(role ? { role } : {}) });
  }

  /** A heartbeat for a call in progress (several instances in one slot count once). */
  async meterHeartbeat(consultationId: string, slotMs: number, now = Date.now()): Promise<void> {
    const c = await this.#store.get(consultationId);
    if (c?.state === ConsultationState.IN_CALL) await this.#metering(c, 'heartbeat', `hb:${Math.floor(now / slotMs)}`, undefined, now);
  }

  /** Appends to the audit log: who did what to which consultation, ids only. */
  async #record(action: AuditAction, actor: Identity | 'system', c: Consultation): Promise<void> {
    await this.#audit.append({
      action,
      actorRole: actor === 'system' ? 'system' : roleOf(actor),
      actorId: actor === 'system' ? this.#instanceId : actor.sub,
      consultationId: c.id,
      practitionerId: c.practitionerId,
      at: Date.now(),
      instanceId: this.#instanceId,
    });
  }

  /** A consultation now (its waiting room is open) or scheduled (opens at the patient's check-in). */
  async create(practitionerId: string, opts: { scheduledAt?: number } = {}, now = Date.now()): Promise<Consultation> {
    const scheduled = opts.scheduledAt !== undefined && opts.scheduledAt > now;
    const c: Consultation = {
      id: randomUUID().replaceAll('-', ''),
      practitionerId,
      state: scheduled ? ConsultationState.SCHEDULED : ConsultationState.WAITING,
      createdAt: now,
      scheduledAt: scheduled ? opts.scheduledAt! : null,
      linkVersion: 0,
      nodeId: null,
      admittedAt: null,
      endedAt: null,
    };
    await this.#store.create(c);
    return c;
  }

  /** The practitioner's consultation (NOT_FOUND for anyone else's). */
  async owned(identity: Identity, consultationId: string): Promise<Consultation> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'practitioners only');
    return this.authorize(identity, consultationId);
  }

  /**
   * Revokes every patient link of the consultation: connected patients are disconnected and leave
   * the waiting room; returns the new link version (links issued from now on are valid).
   */
  async revokeLinks(identity: Identity, consultationId: string): Promise<number> {
    const c = await this.owned(identity, consultationId);
    const version = await this.#store.revokeLinks(c.id);
    const from = await this.#leaveQueue(c);
    this.#notify.disconnectRole(c.id, Role.PATIENT);
    this.#log.info({ consultationId: c.id }, 'patient links revoked');
    await this.publishQueue(c.practitionerId, from);
    return version;
  }

  async list(practitionerId: string): Promise<ConsultationView[]> {
    const all = await this.#store.listByPractitioner(practitionerId, 50);
    return Promise.all(all.map((c) => this.view(c)));
  }

  /** The consultation, if `identity` may see it; NOT_FOUND otherwise (no existence leak). */
  async authorize(identity: Identity, consultationId: string): Promise<Consultation> {
    const c = await this.#store.get(consultationId);
    const allowed =
      c !== null &&
      (identity.kind === 'patient' ? identity.consultationId === c.id : identity.sub === c.practitionerId);
    if (!allowed) {
      if (identity.kind === 'patient' && identity.consultationId !== consultationId) {
        throw new VisitaError(ErrorCode.FORBIDDEN, 'this link is for another consultation');
      }
      throw new VisitaError(ErrorCode.NOT_FOUND, 'no such consultation');
    }
    if (identity.kind === 'patient' && identity.v !== c.linkVersion) throw new VisitaError(ErrorCode.UNAUTHENTICATED, 'this link was revoked');
    return c;
  }

  async view(c: Consultation): Promise<ConsultationView> {
    const presence = await this.#notify.presence(c.id);
    return {
      consultationId: c.id,
      state: c.state,
      createdAt: c.createdAt,
      scheduledAt: c.scheduledAt,
      patientPresent: presence.patient,
      practitionerPresent: presence.practitioner,
      patientName: await this.#store.getPatientName(c.id),
    };
  }

  async join(identity: Identity, p: Req<'consultation:join'>): Res<'consultation:join'> {
    let c = await this.authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'consultation has ended');
    if (identity.kind === 'patient' && c.state === ConsultationState.SCHEDULED) {
      // Early arrival: the check-in opens the waiting room (a concurrent check-in may have done it).
      nextState(c.state, ConsultationEvent.CHECK_IN);
      await this.#store.compareAndSet(c.id, ConsultationState.SCHEDULED, ConsultationState.WAITING, {});
      c = (await this.#store.get(c.id)) ?? c;
    }
    if (c.state === ConsultationState.IN_CALL && c.nodeId) {
      // A participant joining a call in progress (reload, reconnection without recovery) rebuilds
      // their media: free what their previous connection left on the node first.
      const client = await this.#sfu.client(c.nodeId).catch(() => undefined);
      await client?.call('peer.close', { roomId: c.id, peerId: roleOf(identity) }).catch(() => undefined);
    }
    if (identity.kind === 'patient' && c.state === ConsultationState.WAITING) {
      // Check-in: a patient who comes back (reload, reconnection, another instance) keeps their place.
      const name = p.displayName ?? (await this.#store.getPatientName(c.id)) ?? 'Patient';
      await this.#store.setPatientName(c.id, name);
      await this.#queue.checkIn(c.practitionerId, {
        consultationId: c.id,
        patientName: name,
        reason: p.reason ?? null,
        deviceCheck: p.deviceCheck ?? null,
        checkedInAt: Date.now(),
      });
      await this.#record(AuditAction.CHECKED_IN, identity, c);
    }
    return this.view(c);
  }

  /** The practitioner's queue (first QUEUE_VIEW_LIMIT entries) with presence and status. */
  async queueView(practitionerId: string): Promise<QueueView> {
    const now = Date.now();
    const [entries, total, status] = await Promise.all([
      this.#queue.list(practitionerId, QUEUE_VIEW_LIMIT),
      this.#queue.count(practitionerId),
      this.#status(practitionerId),
    ]);
    const present = await this.#presence.presentMany(entries.map((e) => e.consultationId), Role.PATIENT, now);
    return { entries: entries.map((e, i) => ({ ...e, present: present[i]! })), total, status };
  }

  async watchQueue(identity: Identity): Promise<QueueView> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only practitioners have a queue');
    return this.queueView(identity.sub);
  }

  /**
   * After any change to a practitioner's waiting room: every dashboard of the practitioner gets the
   * queue, and the waiting patients from position `positionsFrom` on (those whose position or
   * estimate changed) get theirs. `positionsFrom` null: only presence changed, positions did not.
   */
  async publishQueue(practitionerId: string, positionsFrom: number | null = null, positionsTo: number | null = null): Promise<void> {
    this.#notify.queueChanged(practitionerId, positionsFrom, positionsTo);
  }

  /** This instance's part of a queue change: its dashboards of the practitioner, its waiting patients. */
  async sendQueueHere(practitionerId: string, from: number | null, to: number | null): Promise<void> {
    if (this.#notify.hasPractitionerHere(practitionerId)) this.#notify.toPractitionerHere(practitionerId, 'queue:updated', await this.queueView(practitionerId));
    if (from !== null) await this.sendPositionsHere(practitionerId, from, to);
  }

  /** Sends positions to the patients this instance holds (see Notifier.queueChanged). */
  async sendPositionsHere(practitionerId: string, from: number, to: number | null): Promise<void> {
    const first = Math.max(1, from);
    // Only the range asked for: a patient's own check-in reads one id, not the whole room.
    const [ids, status] = await Promise.all([this.#queue.ids(practitionerId, first - 1, to === null ? -1 : to - 1), this.#status(practitionerId)]);
    for (const [i, consultationId] of ids.entries()) {
      const position = first + i;
      this.#notify.toRoleHere(consultationId, Role.PATIENT, 'waiting:position', {
        consultationId,
        position,
        estimatedWaitMs: estimateWaitMs(position, status),
        practitionerStatus: status,
      });
    }
  }

  /** Removes the entry; returns the position it had (those after it moved up), or null. */
  async #leaveQueue(c: Consultation): Promise<number | null> {
    const rank = await this.#queue.rank(c.practitionerId, c.id);
    await this.#queue.remove(c.practitionerId, c.id);
    return rank === null ? null : rank + 1;
  }

  /**
   * One pass over every waiting room (run by one instance at a time): notes who is newly absent
   * (their dashboards are told at once, even when the instance holding them died), and expires
   * entries absent for longer than the grace period. Returns how many entries expired.
   */
  async sweep(graceMs: number, now = Date.now()): Promise<number> {
    let expired = 0;
    for (const practitionerId of await this.#queue.practitioners()) {
      let changed = false;
      let from: number | null = null;
      const entries = await this.#queue.list(practitionerId);
      const present = await this.#presence.presentMany(entries.map((e) => e.consultationId), Role.PATIENT, now);
      for (const [i, e] of entries.entries()) {
        if (present[i]) {
          changed = (await this.#queue.clearAbsent(e.consultationId)) || changed;
          continue;
        }
        const since = await this.#queue.markAbsent(e.consultationId, now);
        if (since === now) changed = true;
        const entry = { consultationId: e.consultationId, checkedInAt: e.checkedInAt, state: 'waiting', connected: false, disconnectedAt: since } as const;
        if (!applyEntryEvent(entry, { type: 'expire', now }, graceMs).ok) continue;
        await this.#queue.remove(practitionerId, e.consultationId);
        const c = await this.#store.get(e.consultationId);
        if (c) await this.#record(AuditAction.EXPIRED, 'system', c);
        this.#log.info({ consultationId: e.consultationId }, 'waiting entry expired');
        expired++;
        changed = true;
        // Entries after the first expired one moved up (positions are 1-based, after removals).
        from ??= i + 1 - (expired - 1);
      }
      if (changed) await this.publishQueue(practitionerId, from);
    }
    return expired;
  }

  async #status(practitionerId: string): Promise<PractitionerStatus> {
    const [present, inCall] = await Promise.all([
      this.#presence.isPresent(practitionerPresenceKey(practitionerId), Role.PRACTITIONER, Date.now()),
      this.#store.hasCallInProgress(practitionerId),
    ]);
    return practitionerStatus(present, inCall);
  }

  async decline(identity: Identity, p: Req<'consultation:decline'>): Res<'consultation:decline'> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can decline');
    const c = await this.authorize(identity, p.consultationId);
    if (c.state !== ConsultationState.WAITING) throw new VisitaError(ErrorCode.INVALID_STATE, `cannot decline: consultation is ${c.state}`);
    const ended = await this.#end(c, ConsultationState.WAITING, { reason: EndReason.DECLINED, actor: identity, at: Date.now(), message: p.reason });
    if (!ended) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    return this.view(ended);
  }

  /** Chat between the patient and the practitioner, while waiting or in the call. */
  async chatSend(identity: Identity, p: Req<'chat:send'>): Res<'chat:send'> {
    const c = await this.authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'consultation has ended');
    const message = { id: randomUUID(), consultationId: c.id, from: roleOf(identity), text: p.text, at: Date.now() };
    await this.#chat.append(message);
    this.#notify.toConsultation(c.id, 'chat:message', message);
    return message;
  }

  async chatHistory(identity: Identity, p: Req<'chat:history'>): Res<'chat:history'> {
    const c = await this.authorize(identity, p.consultationId);
    return chatPage(await this.#chat.history(c.id), p.limit ?? CHAT_PAGE_MAX, p.before);
  }

  async message(identity: Identity, p: Req<'waiting:message'>): Res<'waiting:message'> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can send messages');
    const c = await this.authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'consultation has ended');
    this.#notify.toRole(c.id, Role.PATIENT, 'waiting:message', { consultationId: c.id, text: p.text, at: Date.now() });
    await this.#record(AuditAction.MESSAGE_SENT, identity, c);
    return { sent: true };
  }

  /** Broadcast the current view to everyone in the consultation, and the queue (after a join or a departure). */
  async publish(consultationId: string): Promise<void> {
    const c = await this.#store.get(consultationId);
    if (!c) return;
    this.#notify.toConsultation(c.id, 'consultation:updated', await this.view(c));
    // Presence changed, positions did not: the patient (just joined or back) gets their own.
    const rank = await this.#queue.rank(c.practitionerId, c.id);
    await this.publishQueue(c.practitionerId, rank === null ? null : rank + 1, rank === null ? null : rank + 1);
  }

  async admit(identity: Identity, p: Req<'consultation:admit'>): Res<'consultation:admit'> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can admit');
    const c = await this.authorize(identity, p.consultationId);
    nextState(c.state, ConsultationEvent.ADMIT);
    const presence = await this.#notify.presence(c.id);
    if (!presence.patient) throw new VisitaError(ErrorCode.INVALID_STATE, 'the patient is not in the waiting room');
    const nodeId = await this.#sfu.place();
    await (await this.#sfu.client(nodeId)).call('room.open', { roomId: c.id });
    const admitted = await this.#store.compareAndSet(c.id, ConsultationState.WAITING, ConsultationState.IN_CALL, {
      nodeId,
      admittedAt: Date.now(),
    });
    if (!admitted) {
      // Another admit or a hang-up won the race: free the router this call opened, unless the winner uses it.
      const now = await this.#store.get(c.id);
      if (now?.nodeId !== nodeId || now.state !== ConsultationState.IN_CALL) {
        await (await this.#sfu.client(nodeId)).call('room.close', { roomId: c.id }).catch(() => undefined);
      }
      throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    }
    this.#log.info({ consultationId: c.id, nodeId }, 'patient admitted');
    await this.#metering(c, 'admitted', 'admitted', undefined, admitted.admittedAt ?? Date.now());
    await this.#record(AuditAction.ADMITTED, identity, c);
    await this.#queue.remove(c.practitionerId, c.id);
    const view = await this.view(admitted);
    this.#notify.toConsultation(c.id, 'consultation:admitted', view);
    // Everyone's estimate changes (the practitioner is now in a call), and those behind moved up.
    await this.publishQueue(c.practitionerId, 1);
    return view;
  }

  async hangUp(identity: Identity, p: Req<'consultation:hangUp'>): Res<'consultation:hangUp'> {
    const c = await this.authorize(identity, p.consultationId);
    nextState(c.state, ConsultationEvent.HANG_UP);
    const ended = await this.#end(c, c.state, { reason: EndReason.HUNG_UP, actor: identity, at: Date.now() });
    if (!ended) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    return this.view(ended);
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
    const ended = await this.#store.compareAndSet(c.id, from, ConsultationState.ENDED, { endedAt: how.at });
    if (!ended) return null;
    if (c.nodeId) await this.#closeRoom(c.id, c.nodeId);
    this.#log.info({ consultationId: c.id, reason: how.reason, by: how.actor === 'system' ? 'system' : roleOf(how.actor) }, 'consultation ended');
    if (from === ConsultationState.IN_CALL) await this.#metering(c, 'ended', 'ended', undefined, how.at);
    await this.#record(how.reason === EndReason.DECLINED ? AuditAction.DECLINED : AuditAction.ENDED, how.actor, c);
    const position = await this.#leaveQueue(c);
    this.#notify.toConsultation(c.id, 'consultation:ended', { consultationId: c.id, reason: how.reason, ...(how.message ? { message: how.message } : {}) });
    // Those behind a declined patient moved up; after a call, the practitioner's status (and so
    // every waiting patient's estimate) changed.
    await this.publishQueue(c.practitionerId, position ?? 1);
    return ended;
  }

  /** Closes the consultation's media room; a node that is gone or does not answer changes nothing else. */
  async #closeRoom(consultationId: string, nodeId: string): Promise<void> {
    try {
      await (await this.#sfu.client(nodeId)).call('room.close', { roomId: consultationId });
    } catch (e) {
      this.#log.warn({ consultationId, nodeId, err: (e as Error).message }, 'room close failed');
    }
  }

  /**
   * A participant's last connection left for good (the grace period ran out): free their media on
   * the node, dated when they left; if the other side is gone too, the consultation is over.
   */
  async leave(role: Role, consultationId: string, goneAt = Date.now()): Promise<void> {
    const c = await this.#store.get(consultationId);
    if (c?.state === ConsultationState.IN_CALL && c.nodeId) {
      const client = await this.#sfu.client(c.nodeId).catch(() => undefined);
      await client?.call('peer.close', { roomId: c.id, peerId: role }).catch(() => undefined);
      // Their media stopped when they left, not when the grace period ran out.
      await this.#metering(c, 'media_down', `${role}:down:${goneAt}`, role, goneAt);
      const at = Date.now();
      if (!(await this.#presence.isPresent(c.id, otherRole(role), at))) {
        if (await this.#end(c, ConsultationState.IN_CALL, { reason: EndReason.ABANDONED, actor: 'system', at })) return;
      }
    }
    await this.publish(consultationId);
  }

  /**
   * One pass over the calls in progress (one instance at a time): a participant absent without a
   * deadline (their instance died, nobody saw them go) gets one, dated when last seen; then every
   * deadline due is honoured, whichever instance set it. Returns how many fired.
   */
  async sweepCalls(graceMs: number, now = Date.now()): Promise<number> {
    const calls = await this.#store.inCallIds();
    for (const role of [Role.PATIENT, Role.PRACTITIONER]) {
      const present = await this.#presence.presentMany(calls, role, now);
      for (const [i, consultationId] of calls.entries()) {
        if (present[i]) continue;
        const goneAt = (await this.#presence.lastSeen(consultationId, role)) ?? now;
        await this.#deadlines.scheduleIfAbsent({ consultationId, role, goneAt }, goneAt + graceMs);
      }
    }
    let fired = 0;
    for (const d of await this.#deadlines.takeDue(now, 500)) {
      if (await this.#presence.isPresent(d.consultationId, d.role, now)) continue; // back in time
      await this.leave(d.role, d.consultationId, d.goneAt);
      fired++;
    }
    return fired;
  }

  /** A participant dropped (their connection closed): their grace period runs in the shared store. */
  async dropped(consultationId: string, role: Role, goneAt: number, graceMs: number): Promise<void> {
    await this.#deadlines.schedule({ consultationId, role, goneAt }, goneAt + graceMs);
    await this.publish(consultationId);
  }

  /** The node lost the room (its worker died): place it again and have both sides rebuild media. */
  async #recoverRoom(consultationId: string): Promise<void> {
    const c = await this.#store.get(consultationId);
    if (c?.state !== ConsultationState.IN_CALL) return;
    // Every instance connected to the node hears the loss; one of them re-places the room.
    if (!(await this.#notify.claim(`recover:${c.id}:${c.nodeId}`, 30_000))) return;
    try {
      const nodeId = await this.#sfu.place();
      await (await this.#sfu.client(nodeId)).call('room.open', { roomId: c.id });
      await this.#store.setNode(c.id, nodeId);
      this.#log.warn({ consultationId: c.id, nodeId }, 'media room lost; re-placed');
      const fresh = await this.#store.get(c.id);
      if (fresh) this.#notify.toConsultation(c.id, 'consultation:admitted', await this.view(fresh));
    } catch (e) {
      this.#log.error({ consultationId: c.id, err: (e as Error).message }, 'media room lost and could not be re-placed');
      await this.#end(c, ConsultationState.IN_CALL, { reason: EndReason.MEDIA_LOST, actor: 'system', at: Date.now() });
    }
  }
}
