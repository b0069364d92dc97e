import { randomUUID } from 'node:crypto';
import {
  ConsultationState,
  EndReason,
  ErrorCode,
  Role,
  VisitaError,
  type ClientRequests,
  type ConsultationView,
  type PractitionerStatus,
  type QueueEntryView,
  type ServerToClientEvents,
} from '@visita/protocol';
import { ConsultationEvent, nextState, type Consultation } from './domain/consultation.ts';
import { estimateWaitMs, practitionerStatus } from './domain/queue.ts';
import { applyEntryEvent } from './domain/waitingEntry.ts';
import { AuditAction, type AuditStore } from './store/AuditStore.ts';
import type { ChatStore } from './store/ChatStore.ts';
import type { PresenceStore } from './store/PresenceStore.ts';
import type { WaitingQueueStore } from './store/WaitingQueueStore.ts';
import type { Logger } from './logger.ts';
import type { SfuRegistry } from './sfu/SfuRegistry.ts';
import type { ConsultationStore } from './store/ConsultationStore.ts';
import type { Identity } from './tokens.ts';

/** How the service reaches connected clients; implemented over Socket.IO rooms. */
export interface Notifier {
  toConsultation<E extends keyof ServerToClientEvents>(id: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  toRole<E extends keyof ServerToClientEvents>(id: string, role: Role, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  toPractitioner<E extends keyof ServerToClientEvents>(practitionerId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  /** Closes the connections of that role in the consultation, on every instance. */
  disconnectRole(id: string, role: Role): void;
  /** Only to this instance's connections (for SFU node events, which every instance receives). */
  toRoleHere<E extends keyof ServerToClientEvents>(id: string, role: Role, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  /** True for exactly one instance per key within `ttlMs` (a Redis lock): who handles a shared event. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  presence(id: string): Promise<Record<Role, boolean>>;
}

type Req<K extends keyof ClientRequests> = ClientRequests[K][0];
type Res<K extends keyof ClientRequests> = Promise<ClientRequests[K][1]>;

export const roleOf = (identity: Identity): Role => (identity.kind === 'patient' ? Role.PATIENT : Role.PRACTITIONER);

/** The presence key of a practitioner's dashboard (any tab, any instance), beside per-consultation keys. */
export const practitionerPresenceKey = (practitionerId: string): string => `p-${practitionerId}`;

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
  readonly #chat: ChatStore;
  readonly #instanceId: string;
  readonly #sfu: SfuRegistry;
  readonly #notify: Notifier;
  readonly #log: Logger;

  constructor(
    deps: { store: ConsultationStore; queue: WaitingQueueStore; presence: PresenceStore; audit: AuditStore; chat: ChatStore; instanceId: string },
    sfu: SfuRegistry,
    notify: Notifier,
    log: Logger,
  ) {
    this.#store = deps.store;
    this.#queue = deps.queue;
    this.#presence = deps.presence;
    this.#audit = deps.audit;
    this.#chat = deps.chat;
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
    await this.#queue.remove(c.practitionerId, c.id);
    this.#notify.disconnectRole(c.id, Role.PATIENT);
    this.#log.info({ consultationId: c.id }, 'patient links revoked');
    await this.publishQueue(c.practitionerId);
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

  /** The practitioner's queue with presence and status, as their dashboard shows it. */
  async queueView(practitionerId: string): Promise<{ entries: QueueEntryView[]; status: PractitionerStatus }> {
    const now = Date.now();
    const entries = await this.#queue.list(practitionerId);
    const present = await Promise.all(entries.map((e) => this.#presence.isPresent(e.consultationId, Role.PATIENT, now)));
    return { entries: entries.map((e, i) => ({ ...e, present: present[i]! })), status: await this.#status(practitionerId) };
  }

  async watchQueue(identity: Identity): Promise<{ entries: QueueEntryView[]; status: PractitionerStatus }> {
    if (identity.kind !== 'practitioner') throw new VisitaError(ErrorCode.FORBIDDEN, 'only practitioners have a queue');
    return this.queueView(identity.sub);
  }

  /**
   * After any change to a practitioner's waiting room: every waiting patient gets their position
   * and estimate, and every dashboard of the practitioner the queue.
   */
  async publishQueue(practitionerId: string): Promise<void> {
    const queue = await this.queueView(practitionerId);
    queue.entries.forEach((e, i) => {
      this.#notify.toRole(e.consultationId, Role.PATIENT, 'waiting:position', {
        consultationId: e.consultationId,
        position: i + 1,
        estimatedWaitMs: estimateWaitMs(i + 1, queue.status),
        practitionerStatus: queue.status,
      });
    });
    this.#notify.toPractitioner(practitionerId, 'queue:updated', queue);
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
      for (const e of await this.#queue.list(practitionerId)) {
        if (await this.#presence.isPresent(e.consultationId, Role.PATIENT, now)) {
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
      }
      if (changed) await this.publishQueue(practitionerId);
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
    const ended = await this.#store.compareAndSet(c.id, ConsultationState.WAITING, ConsultationState.ENDED, { endedAt: Date.now() });
    if (!ended) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    await this.#queue.remove(c.practitionerId, c.id);
    this.#log.info({ consultationId: c.id }, 'patient declined');
    await this.#record(AuditAction.DECLINED, identity, c);
    this.#notify.toConsultation(c.id, 'consultation:ended', { consultationId: c.id, reason: EndReason.DECLINED, message: p.reason });
    await this.publishQueue(c.practitionerId);
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
    return { messages: await this.#chat.history(c.id) };
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
    await this.publishQueue(c.practitionerId);
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
    await this.#record(AuditAction.ADMITTED, identity, c);
    await this.#queue.remove(c.practitionerId, c.id);
    const view = await this.view(admitted);
    this.#notify.toConsultation(c.id, 'consultation:admitted', view);
    await this.publishQueue(c.practitionerId);
    return view;
  }

  async hangUp(identity: Identity, p: Req<'consultation:hangUp'>): Res<'consultation:hangUp'> {
    const c = await this.authorize(identity, p.consultationId);
    nextState(c.state, ConsultationEvent.HANG_UP);
    const ended = await this.#store.compareAndSet(c.id, c.state, ConsultationState.ENDED, { endedAt: Date.now() });
    if (!ended) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    if (c.nodeId) {
      await (await this.#sfu.client(c.nodeId)).call('room.close', { roomId: c.id }).catch((e: Error) => {
        this.#log.warn({ consultationId: c.id, err: e.message }, 'room close failed');
      });
    }
    this.#log.info({ consultationId: c.id, by: roleOf(identity) }, 'consultation ended');
    await this.#record(AuditAction.ENDED, identity, c);
    await this.#queue.remove(c.practitionerId, c.id);
    this.#notify.toConsultation(c.id, 'consultation:ended', { consultationId: c.id, reason: EndReason.HUNG_UP });
    await this.publishQueue(c.practitionerId);
    return this.view(ended);
  }

  /** A participant's last connection left: free its media on the node (the other side is told). */
  async leave(identity: Identity, consultationId: string): Promise<void> {
    const c = await this.#store.get(consultationId);
    if (c?.state === ConsultationState.IN_CALL && c.nodeId) {
      const client = await this.#sfu.client(c.nodeId).catch(() => undefined);
      await client?.call('peer.close', { roomId: c.id, peerId: roleOf(identity) }).catch(() => undefined);
    }
    await this.publish(consultationId);
  }

  // --- media calls, forwarded to the node hosting the consultation ----------------------------

  async routerCapabilities(identity: Identity, p: Req<'media:routerCapabilities'>): Res<'media:routerCapabilities'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const r = await client.call('room.open', { roomId: c.id });
    return { rtpCapabilities: r.rtpCapabilities };
  }

  async createTransport(identity: Identity, p: Req<'media:createTransport'>): Res<'media:createTransport'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    return client.call('transport.create', { roomId: c.id, peerId: roleOf(identity), direction: p.direction });
  }

  async connectTransport(identity: Identity, p: Req<'media:connectTransport'>): Res<'media:connectTransport'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    return client.call('transport.connect', {
      roomId: c.id,
      peerId: roleOf(identity),
      transportId: p.transportId,
      dtlsParameters: p.dtlsParameters,
    });
  }

  async produce(identity: Identity, p: Req<'media:produce'>): Res<'media:produce'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const role = roleOf(identity);
    const r = await client.call('producer.create', {
      roomId: c.id,
      peerId: role,
      transportId: p.transportId,
      kind: p.kind,
      rtpParameters: p.rtpParameters,
    });
    const other = role === Role.PATIENT ? Role.PRACTITIONER : Role.PATIENT;
    this.#notify.toRole(c.id, other, 'media:newProducer', { producerId: r.producerId, kind: p.kind, role, paused: false });
    // One record per media session: its microphone is produced once.
    if (p.kind === 'audio') await this.#record(AuditAction.JOINED_MEDIA, identity, c);
    return r;
  }

  async producers(identity: Identity, p: Req<'media:producers'>): Res<'media:producers'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const summary = await client.call('room.get', { roomId: c.id });
    const me = roleOf(identity);
    return {
      producers: summary.peers
        .filter((peer) => peer.peerId !== me && (peer.peerId === Role.PATIENT || peer.peerId === Role.PRACTITIONER))
        .flatMap((peer) =>
          peer.producers.map((pr) => ({ producerId: pr.id, kind: pr.kind, role: peer.peerId as Role, paused: pr.paused })),
        ),
    };
  }

  async consume(identity: Identity, p: Req<'media:consume'>): Res<'media:consume'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    return client.call('consumer.create', {
      roomId: c.id,
      peerId: roleOf(identity),
      transportId: p.transportId,
      producerId: p.producerId,
      rtpCapabilities: p.rtpCapabilities,
    });
  }

  async resumeConsumer(identity: Identity, p: Req<'media:resumeConsumer'>): Res<'media:resumeConsumer'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    return client.call('consumer.resume', { roomId: c.id, peerId: roleOf(identity), consumerId: p.consumerId });
  }

  async setProducerPaused(identity: Identity, p: Req<'media:setProducerPaused'>): Res<'media:setProducerPaused'> {
    const { client, c } = await this.#inCall(identity, p.consultationId);
    const role = roleOf(identity);
    const r = await client.call('producer.setPaused', { roomId: c.id, peerId: role, producerId: p.producerId, paused: p.paused });
    const other = role === Role.PATIENT ? Role.PRACTITIONER : Role.PATIENT;
    this.#notify.toRole(c.id, other, 'media:producerPaused', { producerId: p.producerId, paused: p.paused });
    return r;
  }

  async #inCall(identity: Identity, consultationId: string) {
    const c = await this.authorize(identity, consultationId);
    if (c.state !== ConsultationState.IN_CALL || !c.nodeId) {
      throw new VisitaError(ErrorCode.INVALID_STATE, `consultation is ${c.state}, not in a call`);
    }
    return { c, client: await this.#sfu.client(c.nodeId) };
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
      await this.#store.compareAndSet(c.id, ConsultationState.IN_CALL, ConsultationState.ENDED, { endedAt: Date.now() });
      await this.#record(AuditAction.ENDED, 'system', c).catch(() => undefined);
      this.#notify.toConsultation(c.id, 'consultation:ended', { consultationId: c.id, reason: EndReason.MEDIA_LOST });
    }
  }
}
