import { describe, expect, it } from 'vitest';
import { ConsultationState, ErrorCode } from '@visita/protocol';
import { ConsultationEvent, nextState, transition } from './consultation.ts';

const S = ConsultationState;
const E = ConsultationEvent;

// Every (state, event) pair of the machine, with its expected outcome: the next state, or a
// rejection whose reason says why. A swapped target or a pair allowed by mistake fails here.
const TABLE: Array<[ConsultationState, ConsultationEvent, ConsultationState | RegExp]> = [
  [S.SCHEDULED, E.CHECK_IN, S.WAITING],
  [S.SCHEDULED, E.ADMIT, /cannot admit: consultation is scheduled/],
  [S.SCHEDULED, E.HANG_UP, S.ENDED],
  [S.WAITING, E.CHECK_IN, S.WAITING],
  [S.WAITING, E.ADMIT, S.IN_CALL],
  [S.WAITING, E.HANG_UP, S.ENDED],
  [S.IN_CALL, E.CHECK_IN, /cannot check in: consultation is in_call/],
  [S.IN_CALL, E.ADMIT, /cannot admit: consultation is in_call/],
  [S.IN_CALL, E.HANG_UP, S.ENDED],
  [S.ENDED, E.CHECK_IN, /cannot check in: consultation is ended/],
  [S.ENDED, E.ADMIT, /cannot admit: consultation is ended/],
  [S.ENDED, E.HANG_UP, /already ended/],
];

describe('consultation state machine', () => {
  it('lists every state x event pair exactly once', () => {
    const pairs = TABLE.map(([s, e]) => `${s}/${e}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(pairs.length).toBe(Object.values(S).length * Object.values(E).length);
  });

  it.each(TABLE)('%s --%s--> %s', (state, event, expected) => {
    const t = transition(state, event);
    if (expected instanceof RegExp) {
      expect(t).toMatchObject({ ok: false, reason: expect.stringMatching(expected) });
      expect(() => nextState(state, event)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_STATE }));
    } else {
      expect(t).toEqual({ ok: true, next: expected });
      expect(nextState(state, event)).toBe(expected);
    }
  });
});
