import { ConsultationEndedEvent, ErrorCode, VisitaError } from '@visita/protocol';
import {
  transition,
  type Consultation,
  type ConsultationEffect,
  type ConsultationEvent,
  type ConsultationEventType,
} from '../domain/consultation.ts';
import { roleOf } from '../notifier.ts';
import type { Identity } from '../tokens.ts';
import type { Consultations } from './Consultations.ts';
import type { UseCaseContext } from './context.ts';

/** The log line of each transition (ids and reasons only, never names). */
const LOG_LINE: Record<ConsultationEventType, string> = {
  checkIn: 'waiting room opened',
  admit: 'patient admitted',
  moveMedia: 'media room moved to another node',
  hangUp: 'consultation ended',
  decline: 'consultation ended',
  abandon: 'consultation ended',
  loseMedia: 'consultation ended',
};

/** Who caused a transition: a participant, or the platform itself (sweeper, media recovery). */
export type Actor = Identity | 'system';

/**
 * The only way a consultation's state changes: the machine decides (transition), the store applies
 * its `next` by compare-and-set, then its effects are carried out in order. An effect that fails
 * on the media node (closing a room) is logged and the others still run: metering, audit and both
 * sides told, whatever the node does.
 */
export class Lifecycle {
  readonly #ctx: UseCaseContext;
  readonly #consultations: Consultations;

  constructor(ctx: UseCaseContext, consultations: Consultations) {
    this.#ctx = ctx;
    this.#consultations = consultations;
  }

  /**
   * Applies `event` to `c` as read. Throws INVALID_STATE when the machine refuses it; returns null
   * when the record changed meanwhile (a concurrent transition won: nothing done), else the stored record.
   */
  async apply(c: Consultation, event: ConsultationEvent, actor: Actor): Promise<Consultation | null> {
    const t = transition(c, event, this.#ctx.now());
    if (!t.ok) throw new VisitaError(ErrorCode.INVALID_STATE, t.reason);
    if (t.next === c) return c; // nothing to write (a repeated check-in)
    const stored = await this.#ctx.store.compareAndSet(c, t.next);
    if (!stored) return null;
    this.#ctx.log.info(
      {
        consultationId: c.id,
        event: event.type,
        ...(stored.state === 'ended' ? { reason: stored.endReason } : {}),
        ...(stored.state === 'in_call' ? { nodeId: stored.nodeId } : {}),
        by: actor === 'system' ? 'system' : roleOf(actor),
      },
      LOG_LINE[event.type],
    );
    for (const effect of t.effects) await this.#carryOut(effect, c, stored, actor);
    return stored;
  }

  /** apply(), with a lost race reported to the caller as INVALID_STATE. */
  async applyOrThrow(c: Consultation, event: ConsultationEvent, actor: Actor): Promise<Consultation> {
    const stored = await this.apply(c, event, actor);
    if (!stored) throw new VisitaError(ErrorCode.INVALID_STATE, 'the consultation changed meanwhile');
    return stored;
  }

  /** Removes the patient from the waiting room; returns the position they had (those after moved up), or null. */
  async leaveQueue(c: Consultation): Promise<number | null> {
    const rank = await this.#ctx.queue.rank(c.practitionerId, c.id);
    await this.#ctx.queue.remove(c.practitionerId, c.id);
    // An admission waiting for capacity ends with the waiting (admitted, declined, ended, revoked).
    await this.#ctx.admissions.remove(c.id);
    return rank === null ? null : rank + 1;
  }

  /** Closes a media room; a node that is gone or does not answer changes nothing else. */
  async closeRoom(consultationId: string, nodeId: string): Promise<void> {
    try {
      await (await this.#ctx.sfu.client(nodeId)).call('room.close', { roomId: consultationId });
    } catch (e) {
      this.#ctx.log.warn({ consultationId, nodeId, err: (e as Error).message }, 'room close failed');
    }
  }

  async #carryOut(effect: ConsultationEffect, before: Consultation, after: Consultation, actor: Actor): Promise<void> {
    const ctx = this.#ctx;
    switch (effect.type) {
      case 'closeRoom':
        return this.closeRoom(after.id, effect.nodeId);
      case 'meter':
        return ctx.metering(after, effect.fact, effect.fact, undefined, effect.at);
      case 'learnDuration':
        return ctx.durations.record(after.practitionerId, effect.ms);
      case 'audit':
        return ctx.record(effect.action, actor, after);
      case 'leaveQueue': {
        const position = await this.leaveQueue(after);
        ctx.notify.queueChanged(after.practitionerId, effect.refresh === 'everyone' ? 1 : (position ?? 1), null);
        return;
      }
      case 'announce':
        if (effect.event === 'admitted') {
          ctx.notify.toConsultation(after.id, 'consultation:admitted', await this.#consultations.view(after));
          return;
        }
        ctx.notify.toConsultation(
          after.id,
          'consultation:ended',
          ConsultationEndedEvent.parse({
            consultationId: after.id,
            reason: effect.reason,
            by: actor === 'system' ? 'system' : roleOf(actor),
            ...(after.state === 'ended' && after.admittedAt !== null
              ? { callMs: Math.max(0, after.endedAt - after.admittedAt) }
              : {}),
            ...(effect.message ? { message: effect.message } : {}),
          }),
        );
        return;
      default: {
        const never: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(never)} after ${before.state}`);
      }
    }
  }
}
