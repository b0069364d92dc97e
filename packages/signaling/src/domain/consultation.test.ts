import { describe, expect, it } from 'vitest';
import { ConsultationState, ErrorCode } from '@visita/protocol';
import { ConsultationEvent, nextState, transition } from './consultation.ts';

describe('consultation state machine', () => {
  const S = ConsultationState;
  const E = ConsultationEvent;

  it('opens the waiting room of a scheduled consultation at check-in, and lets a waiting patient check in again', () => {
    expect(transition(S.SCHEDULED, E.CHECK_IN)).toEqual({ ok: true, next: S.WAITING });
    expect(transition(S.WAITING, E.CHECK_IN)).toEqual({ ok: true, next: S.WAITING });
    expect(transition(S.SCHEDULED, E.HANG_UP)).toEqual({ ok: true, next: S.ENDED });
  });

  it('admits a waiting consultation and ends it', () => {
    expect(transition(S.WAITING, E.ADMIT)).toEqual({ ok: true, next: S.IN_CALL });
    expect(transition(S.IN_CALL, E.HANG_UP)).toEqual({ ok: true, next: S.ENDED });
    expect(transition(S.WAITING, E.HANG_UP)).toEqual({ ok: true, next: S.ENDED });
  });

  it('rejects every other transition with a reason', () => {
    const rejected: Array<[ConsultationState, ConsultationEvent]> = [
      [S.SCHEDULED, E.ADMIT],
      [S.IN_CALL, E.CHECK_IN],
      [S.ENDED, E.CHECK_IN],
      [S.IN_CALL, E.ADMIT],
      [S.ENDED, E.ADMIT],
      [S.ENDED, E.HANG_UP],
    ];
    for (const [state, event] of rejected) {
      const t = transition(state, event);
      expect(t.ok).toBe(false);
      if (!t.ok) expect(t.reason).toMatch(/admit|ended|check in/);
      expect(() => nextState(state, event)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_STATE }));
    }
  });

  it('covers the whole state x event table', () => {
    let count = 0;
    for (const state of Object.values(S))
      for (const event of Object.values(E)) count += transition(state, event).ok ? 1 : 0;
    expect(count).toBe(6);
  });
});
