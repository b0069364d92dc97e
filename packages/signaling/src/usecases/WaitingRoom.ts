import {
  ConsultationState,
  ErrorCode,
  QUEUE_VIEW_LIMIT,
  Role,
  VisitaError,
  type ClientRequests,
  type PractitionerStatus,
  type QueueView,
} from '@visita/protocol';
import { estimateWaitMs, practitionerStatus, typicalConsultationMs } from '../domain/queue.ts';
import { applyEntryEvent, waitingEntryFrom, type WaitingEntry } from '../domain/waitingEntry.ts';
import { practitionerPresenceKey, roleOf } from '../notifier.ts';
import { AuditAction } from '../store/AuditStore.ts';
import type { Identity } from '../tokens.ts';
import type { UseCaseContext } from './context.ts';
import type { Consultations } from './Consultations.ts';
import type { Lifecycle } from './Lifecycle.ts';

type Req<K extends keyof ClientRequests> = ClientRequests[K][0];
type Res<K extends keyof ClientRequests> = Promise<ClientRequests[K][1]>;

/**
 * A practitioner's waiting room: check-in (join), the queue their dashboards watch, each waiting
 * patient's position and estimate, messages to a waiting patient, revoked links, and the sweep
 * that notes absences and expires entries.
 */
export class WaitingRoom {
  readonly #ctx: UseCaseContext;
  readonly #consultations: Consultations;

  readonly #lifecycle: Lifecycle;

  constructor(ctx: UseCaseContext, consultations: Consultations, lifecycle: Lifecycle) {
    this.#ctx = ctx;
    this.#consultations = consultations;
    this.#lifecycle = lifecycle;
  }

  async join(identity: Identity, p: Req<'consultation:join'>): Res<'consultation:join'> {
    const { store, queue, sfu } = this.#ctx;
    let c = await this.#consultations.authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'consultation has ended');
    if (identity.kind === 'patient' && c.state === ConsultationState.SCHEDULED) {
      // Early arrival: the check-in opens the waiting room (a concurrent check-in may have done it).
      c = (await this.#lifecycle.apply(c, { type: 'checkIn' }, identity)) ?? (await store.get(c.id)) ?? c;
    }
    if (c.state === 'in_call' && !p.keepMedia) {
      // A participant joining a call in progress (reload, another device) rebuilds their media:
      // free what their previous connection left on the node first. A page back after a cut with
      // its media still up asks to keep it (`keepMedia`) and restarts ICE instead.
      const client = await sfu.client(c.nodeId).catch(() => undefined);
      await client?.call('peer.close', { roomId: c.id, peerId: roleOf(identity) }).catch(() => undefined);
    }
    if (identity.kind === 'patient' && c.state === ConsultationState.WAITING) {
      // Check-in: a patient who comes back (reload, reconnection, another instance) keeps their place.
      // What a returning patient gave before stays when they do not give it again.
      const before = await store.getPatient(c.id);
      const name = p.displayName ?? before.name ?? 'Patient';
      const reason = p.reason ?? before.reason;
      await store.setPatient(c.id, name, reason, p.deviceCheck);
      await queue.checkIn(c.practitionerId, {
        consultationId: c.id,
        patientName: name,
        reason,
        deviceCheck: p.deviceCheck ?? null,
        checkedInAt: this.#ctx.now(),
      });
      await this.#ctx.record(AuditAction.CHECKED_IN, identity, c);
    }
    return this.#consultations.view(c, { reason: true });
  }

  /** The practitioner's queue (first QUEUE_VIEW_LIMIT entries) with presence and status. */
  async queueView(practitionerId: string): Promise<QueueView> {
    const now = this.#ctx.now();
    const [entries, total, status] = await Promise.all([
      this.#ctx.queue.list(practitionerId, QUEUE_VIEW_LIMIT),
      this.#ctx.queue.count(practitionerId),
      this.status(practitionerId),
    ]);
    const present = await this.#ctx.presence.presentMany(
      entries.map((e) => e.consultationId),
      Role.PATIENT,
      now,
    );
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
  async publishQueue(
    practitionerId: string,
    positionsFrom: number | null = null,
    positionsTo: number | null = null,
  ): Promise<void> {
    this.#ctx.notify.queueChanged(practitionerId, positionsFrom, positionsTo);
  }

  /** This instance's part of a queue change: its dashboards of the practitioner, its waiting patients. */
  async sendQueueHere(practitionerId: string, from: number | null, to: number | null): Promise<void> {
    const { notify } = this.#ctx;
    if (notify.hasPractitionerHere(practitionerId))
      notify.toPractitionerHere(practitionerId, 'queue:updated', await this.queueView(practitionerId));
    if (from !== null) await this.sendPositionsHere(practitionerId, from, to);
  }

  /** Sends positions to the patients this instance holds (see Notifier.queueChanged). */
  async sendPositionsHere(practitionerId: string, from: number, to: number | null): Promise<void> {
    const first = Math.max(1, from);
    // Only the range asked for: a patient's own check-in reads one id, not the whole room.
    const [ids, status, durations] = await Promise.all([
      this.#ctx.queue.ids(practitionerId, first - 1, to === null ? -1 : to - 1),
      this.status(practitionerId),
      this.#ctx.durations.recent(practitionerId),
    ]);
    const typicalMs = typicalConsultationMs(durations);
    for (const [i, consultationId] of ids.entries()) {
      const position = first + i;
      this.#ctx.notify.toRoleHere(consultationId, Role.PATIENT, 'waiting:position', {
        consultationId,
        position,
        estimatedWaitMs: estimateWaitMs(position, status, typicalMs),
        practitionerStatus: status,
      });
    }
  }

  /** Broadcast the current view to everyone in the consultation, and the queue (after a join or a departure). */
  async publish(consultationId: string): Promise<void> {
    const c = await this.#ctx.store.get(consultationId);
    if (!c) return;
    this.#ctx.notify.toConsultation(c.id, 'consultation:updated', await this.#consultations.view(c));
    // Presence changed, positions did not: the patient (just joined or back) gets their own.
    const rank = await this.#ctx.queue.rank(c.practitionerId, c.id);
    await this.publishQueue(c.practitionerId, rank === null ? null : rank + 1, rank === null ? null : rank + 1);
  }

  async message(identity: Identity, p: Req<'waiting:message'>): Res<'waiting:message'> {
    if (identity.kind !== 'practitioner')
      throw new VisitaError(ErrorCode.FORBIDDEN, 'only the practitioner can send messages');
    const c = await this.#consultations.authorize(identity, p.consultationId);
    if (c.state === ConsultationState.ENDED) throw new VisitaError(ErrorCode.INVALID_STATE, 'consultation has ended');
    this.#ctx.notify.toRole(c.id, Role.PATIENT, 'waiting:message', {
      consultationId: c.id,
      text: p.text,
      at: this.#ctx.now(),
    });
    await this.#ctx.record(AuditAction.MESSAGE_SENT, identity, c);
    return { sent: true };
  }

  /**
   * Revokes every patient link of the consultation: connected patients are disconnected and leave
   * the waiting room; returns the new link version (links issued from now on are valid).
   */
  async revokeLinks(identity: Identity, consultationId: string): Promise<number> {
    const c = await this.#consultations.owned(identity, consultationId);
    const version = await this.#ctx.store.revokeLinks(c.id);
    const from = await this.#lifecycle.leaveQueue(c);
    // Told first, so the page says why at once instead of trying to reconnect (its next
    // handshake is refused); a page that misses it learns it from the link check on the cut.
    this.#ctx.notify.toRole(c.id, Role.PATIENT, 'link:revoked', { consultationId: c.id });
    this.#ctx.notify.disconnectRole(c.id, Role.PATIENT);
    this.#ctx.log.info({ consultationId: c.id }, 'patient links revoked');
    await this.publishQueue(c.practitionerId, from);
    return version;
  }

  /**
   * One pass over every waiting room (run by one instance at a time): each entry's presence is
   * fed to its machine (disconnect, reconnect, expire) and the store applies what it returns.
   * Dashboards are told of a new absence at once, even when the instance holding the patient
   * died; an entry absent for longer than the grace period expires. Returns how many expired.
   */
  async sweep(graceMs: number, now = this.#ctx.now()): Promise<number> {
    const { queue, presence } = this.#ctx;
    let expired = 0;
    for (const practitionerId of await queue.practitioners()) {
      let changed = false;
      let from: number | null = null;
      const entries = await queue.list(practitionerId);
      const ids = entries.map((e) => e.consultationId);
      const [present, absentSince] = await Promise.all([
        presence.presentMany(ids, Role.PATIENT, now),
        queue.absences(ids),
      ]);
      for (const [i, e] of entries.entries()) {
        const stored = waitingEntryFrom(e, absentSince[i] === null, absentSince[i] ?? null, now);
        const type = present[i] ? 'reconnect' : stored.connected ? 'disconnect' : 'expire';
        const t = applyEntryEvent(stored, { type, now }, graceMs);
        if (!t.ok) continue; // present and known so, or absent but still within the grace period
        changed = true;
        await this.#storeEntry(practitionerId, t.entry);
        if (t.entry.state !== 'expired') continue;
        expired++;
        // Entries after the first expired one moved up (positions are 1-based, after removals).
        from ??= i + 1 - (expired - 1);
      }
      if (changed) await this.publishQueue(practitionerId, from);
    }
    return expired;
  }

  /** Applies what the entry machine returned to the queue store (absence notes, expiry). */
  async #storeEntry(practitionerId: string, entry: WaitingEntry): Promise<void> {
    const { queue, store, log } = this.#ctx;
    switch (entry.state) {
      case 'waiting':
        if (entry.connected) await queue.clearAbsent(entry.consultationId);
        else await queue.markAbsent(entry.consultationId, entry.disconnectedAt);
        return;
      case 'expired': {
        await queue.remove(practitionerId, entry.consultationId);
        const c = await store.get(entry.consultationId);
        if (c) await this.#ctx.record(AuditAction.EXPIRED, 'system', c);
        log.info({ consultationId: entry.consultationId }, 'waiting entry expired');
        return;
      }
      default:
        // Admission, decline and leaving end the consultation's waiting through Lifecycle.
        throw new Error(`the sweep does not produce ${entry.state}`);
    }
  }

  /** What waiting patients see of their practitioner: in a call, online, or away. */
  async status(practitionerId: string): Promise<PractitionerStatus> {
    const [present, inCall] = await Promise.all([
      this.#ctx.presence.isPresent(practitionerPresenceKey(practitionerId), Role.PRACTITIONER, this.#ctx.now()),
      this.#ctx.store.hasCallInProgress(practitionerId),
    ]);
    return practitionerStatus(present, inCall);
  }
}
