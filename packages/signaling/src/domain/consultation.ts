import { ConsultationState, ErrorCode, VisitaError } from '@visita/protocol';

// The consultation state machine, pure: (state, event) -> next state, or a rejection with a reason.
//   waiting --admit--> in_call --hangUp--> ended
//   waiting --hangUp--> ended (the practitioner cancels, or the patient leaves for good)

export interface Consultation {
  readonly id: string;
  readonly practitionerId: string;
  readonly state: ConsultationState;
  readonly createdAt: number;
  /** The SFU node hosting the call, once admitted. */
  readonly nodeId: string | null;
  readonly admittedAt: number | null;
  readonly endedAt: number | null;
}

export const ConsultationEvent = { ADMIT: 'admit', HANG_UP: 'hangUp' } as const;
export type ConsultationEvent = (typeof ConsultationEvent)[keyof typeof ConsultationEvent];

export type Transition =
  | { ok: true; next: ConsultationState }
  | { ok: false; reason: string };

export function transition(state: ConsultationState, event: ConsultationEvent): Transition {
  switch (event) {
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
