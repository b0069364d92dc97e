import { AuditAction, ConsultationState, EndReason, ErrorCode, VisitaError } from '@visita/protocol';

// The consultation state machine, pure: transition(consultation, event, now) -> { next, effects },
// or a rejection with a reason. The stores apply `next` by compare-and-set; the use cases carry out
// `effects`. It is the only way a consultation's state changes.
//   scheduled --checkIn--> waiting --admit--> in_call --moveMedia--> in_call (another node)
//   scheduled | waiting | in_call --hangUp--> ended        waiting --decline--> ended
//   in_call --abandon | loseMedia--> ended
// A patient may check in early for a scheduled consultation: the waiting room opens at once.

interface Base {
  readonly id: string;
  readonly practitionerId: string;
  readonly createdAt: number;
  /** When the appointment is (null: a consultation "now"). */
  readonly scheduledAt: number | null;
  /** Version of the patient links: only links of this version are accepted (revocation bumps it). */
  readonly linkVersion: number;
}
export type Scheduled = Base & { readonly state: 'scheduled'; readonly scheduledAt: number };
export type Waiting = Base & { readonly state: 'waiting' };
export type InCall = Base & {
  readonly state: 'in_call';
  /** The SFU node hosting the call. */
  readonly nodeId: string;
  readonly admittedAt: number;
};
export type Ended = Base & {
  readonly state: 'ended';
  readonly endedAt: number;
  readonly endReason: EndReason;
  /** When the call began (null: it never did). */
  readonly admittedAt: number | null;
};
export type Consultation = Scheduled | Waiting | InCall | Ended;

export type ConsultationEvent =
  | { readonly type: 'checkIn' }
  | { readonly type: 'admit'; readonly nodeId: string }
  /** The call's media room was re-opened on another node (its worker or node was lost). */
  | { readonly type: 'moveMedia'; readonly nodeId: string }
  | { readonly type: 'hangUp' }
  /** The practitioner declines a waiting patient; `message` is shown to the patient. */
  | { readonly type: 'decline'; readonly message?: string }
  /** Both participants gone for longer than the reconnection grace period. */
  | { readonly type: 'abandon' }
  /** The media room was lost and could not be re-opened anywhere. */
  | { readonly type: 'loseMedia' };
export type ConsultationEventType = ConsultationEvent['type'];

/** What must happen once the store has applied a transition, in this order. */
export type ConsultationEffect =
  | { readonly type: 'closeRoom'; readonly nodeId: string }
  | { readonly type: 'meter'; readonly fact: 'admitted' | 'ended'; readonly at: number }
  /** A call ended: its length (admission to end) joins the practitioner's recent durations. */
  | { readonly type: 'learnDuration'; readonly ms: number }
  | { readonly type: 'audit'; readonly action: AuditAction }
  /** Remove the patient from the waiting room; `refresh`: whose positions or estimates changed. */
  | { readonly type: 'leaveQueue'; readonly refresh: 'everyone' | 'behind' }
  | { readonly type: 'announce'; readonly event: 'admitted' }
  | { readonly type: 'announce'; readonly event: 'ended'; readonly reason: EndReason; readonly message?: string };

export type Transition =
  | { ok: true; next: Consultation; effects: ConsultationEffect[] }
  | { ok: false; reason: string };

/** Which states each event is allowed from (every other pair is rejected). */
const ALLOWED: Record<ConsultationEventType, readonly ConsultationState[]> = {
  checkIn: [ConsultationState.SCHEDULED, ConsultationState.WAITING],
  admit: [ConsultationState.WAITING],
  moveMedia: [ConsultationState.IN_CALL],
  hangUp: [ConsultationState.SCHEDULED, ConsultationState.WAITING, ConsultationState.IN_CALL],
  decline: [ConsultationState.WAITING],
  abandon: [ConsultationState.IN_CALL],
  loseMedia: [ConsultationState.IN_CALL],
};

const VERB: Record<ConsultationEventType, string> = {
  checkIn: 'check in',
  admit: 'admit',
  moveMedia: 'move the media',
  hangUp: 'hang up',
  decline: 'decline',
  abandon: 'abandon the call',
  loseMedia: 'lose the media',
};

/** Why `type` is refused in `state`, or null when it is allowed. */
export function refusal(state: ConsultationState, type: ConsultationEventType): string | null {
  if (ALLOWED[type].includes(state)) return null;
  return state === ConsultationState.ENDED
    ? `cannot ${VERB[type]}: consultation already ended`
    : `cannot ${VERB[type]}: consultation is ${state}`;
}

/** refusal() as a typed INVALID_STATE error: for checks made before any side effect (placing a room). */
export function assertAllowed(c: Consultation, type: ConsultationEventType): void {
  const reason = refusal(c.state, type);
  if (reason) throw new VisitaError(ErrorCode.INVALID_STATE, reason);
}

export function transition(c: Consultation, event: ConsultationEvent, now: number): Transition {
  const reason = refusal(c.state, event.type);
  if (reason) return { ok: false, reason };
  const base: Base = {
    id: c.id,
    practitionerId: c.practitionerId,
    createdAt: c.createdAt,
    scheduledAt: c.scheduledAt,
    linkVersion: c.linkVersion,
  };
  switch (event.type) {
    case 'checkIn':
      // A second check-in (reload, reconnection) changes nothing: the same record comes back.
      return { ok: true, next: c.state === 'waiting' ? c : { ...base, state: 'waiting' }, effects: [] };
    case 'admit':
      return {
        ok: true,
        next: { ...base, state: 'in_call', nodeId: event.nodeId, admittedAt: now },
        effects: [
          { type: 'meter', fact: 'admitted', at: now },
          { type: 'audit', action: AuditAction.ADMITTED },
          // The practitioner is now in a call: every waiting patient's estimate changes.
          { type: 'leaveQueue', refresh: 'everyone' },
          { type: 'announce', event: 'admitted' },
        ],
      };
    case 'moveMedia': {
      const inCall = c as InCall;
      return {
        ok: true,
        next: { ...inCall, nodeId: event.nodeId },
        // Both sides rebuild their media on the new node, as after an admission.
        effects: [
          { type: 'audit', action: AuditAction.MEDIA_MOVED },
          { type: 'announce', event: 'admitted' },
        ],
      };
    }
    case 'hangUp':
      return end(c, base, EndReason.HUNG_UP, now);
    case 'decline':
      return end(c, base, EndReason.DECLINED, now, event.message);
    case 'abandon':
      return end(c, base, EndReason.ABANDONED, now);
    case 'loseMedia':
      return end(c, base, EndReason.MEDIA_LOST, now);
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

/** The one way a consultation ends, whatever the reason: the same effects for every ending. */
function end(c: Consultation, base: Base, reason: EndReason, now: number, message?: string): Transition {
  const inCall = c.state === 'in_call';
  const effects: ConsultationEffect[] = [];
  if (inCall)
    effects.push(
      { type: 'closeRoom', nodeId: c.nodeId },
      { type: 'meter', fact: 'ended', at: now },
      { type: 'learnDuration', ms: Math.max(0, now - c.admittedAt) },
    );
  effects.push(
    { type: 'audit', action: reason === EndReason.DECLINED ? AuditAction.DECLINED : AuditAction.ENDED },
    // After a call the practitioner's status changed (everyone's estimate); otherwise those behind moved up.
    { type: 'leaveQueue', refresh: inCall ? 'everyone' : 'behind' },
    { type: 'announce', event: 'ended', reason, ...(message ? { message } : {}) },
  );
  return {
    ok: true,
    next: { ...base, state: 'ended', endedAt: now, endReason: reason, admittedAt: inCall ? c.admittedAt : null },
    effects,
  };
}
