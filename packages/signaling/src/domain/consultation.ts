import { ConsultationState, ErrorCode, VisitaError } from '@visita/protocol';

// The consultation state machine, pure: (state, event) -> next state, or a rejection with a reason.
//   scheduled --checkIn--> waiting --admit--> in_call --hangUp--> ended
//   scheduled | waiting --hangUp--> ended (cancelled, declined, or the patient leaves for good)
// A patient may check in early for a scheduled consultation: the waiting room opens at once.

export interface Consultation {
  readonly id: string;
  readonly practitionerId: string;
  readonly state: ConsultationState;
  readonly createdAt: number;
  readonly scheduledAt: number | null;
  /** Version of the patient links: only links of this version are accepted (revocation bumps it). */
  readonly linkVersion: number;
  /** The SFU node hosting the call, once admitted. */
  readonly nodeId: string | null;
  readonly admittedAt: number | null;
  readonly endedAt: number | null;
}

export const ConsultationEvent = { CHECK_IN: 'checkIn', ADMIT: 'admit', HANG_UP: 'hangUp' } as const;
export type ConsultationEvent = (typeof ConsultationEvent)[keyof typeof ConsultationEvent];

export type Transition = { ok: true; next: ConsultationState } | { ok: false; reason: string };

export function transition(state: ConsultationState, event: ConsultationEvent): Transition {
  switch (event) {
    case ConsultationEvent.CHECK_IN:
      return state === ConsultationState.SCHEDULED || state === ConsultationState.WAITING
        ? { ok: true, next: ConsultationState.WAITING }
        : { ok: false, reason: `cannot check in: consultation is ${state}` };
    case ConsultationEvent.ADMIT:
      return state === ConsultationState.WAITING
        ? { ok: true, next: ConsultationState.IN_CALL }
        : { ok: false, reason: `cannot admit: consultation is ${state}` };
    case ConsultationEvent.HANG_UP:
      return state === ConsultationState.ENDED
        ? { ok: false, reason: 'consultation already ended' }
        : { ok: true, next: ConsultationState.ENDED };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${String(never)}`);
    }
  }
}

/** transition() that throws a typed INVALID_STATE error when rejected. */
export function nextState(state: ConsultationState, event: ConsultationEvent): ConsultationState {
  const t = transition(state, event);
  if (!t.ok) throw new VisitaError(ErrorCode.INVALID_STATE, t.reason);
  return t.next;
}
