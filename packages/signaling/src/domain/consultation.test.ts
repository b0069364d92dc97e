import { describe, expect, it } from 'vitest';
import { AuditAction, ConsultationState, EndReason, ErrorCode } from '@visita/protocol';
import {
  assertAllowed,
  transition,
  type Consultation,
  type ConsultationEffect,
  type ConsultationEvent,
  type ConsultationEventType,
} from './consultation.ts';

const S = ConsultationState;
const base = { id: 'c1', practitionerId: 'dr1', createdAt: 100, linkVersion: 2 } as const;
const NOW = 5_000;
const AT: Record<ConsultationState, Consultation> = {
  scheduled: { ...base, state: 'scheduled', scheduledAt: 9_000 },
  waiting: { ...base, state: 'waiting', scheduledAt: null },
  in_call: { ...base, state: 'in_call', scheduledAt: null, nodeId: 'n1', admittedAt: 1_000 },
  ended: {
    ...base,
    state: 'ended',
    scheduledAt: null,
    endedAt: 2_000,
    endReason: EndReason.HUNG_UP,
    admittedAt: 1_000,
  },
};
const EVENT: Record<ConsultationEventType, ConsultationEvent> = {
  checkIn: { type: 'checkIn' },
  admit: { type: 'admit', nodeId: 'n2' },
  moveMedia: { type: 'moveMedia', nodeId: 'n3' },
  hangUp: { type: 'hangUp' },
  decline: { type: 'decline', message: 'please call the practice' },
  abandon: { type: 'abandon' },
  loseMedia: { type: 'loseMedia' },
};

const ended = (reason: EndReason, admittedAt: number | null): Partial<Consultation> => ({
  state: 'ended',
  endedAt: NOW,
  endReason: reason,
  admittedAt,
});
const endEffects = (reason: EndReason, fromCall: boolean, message?: string): ConsultationEffect[] => [
  ...(fromCall
    ? [
        { type: 'closeRoom', nodeId: 'n1' } as const,
        { type: 'meter', fact: 'ended', at: NOW } as const,
        { type: 'learnDuration', ms: NOW - 1_000 } as const,
      ]
    : []),
  { type: 'audit', action: reason === EndReason.DECLINED ? AuditAction.DECLINED : AuditAction.ENDED },
  { type: 'leaveQueue', refresh: fromCall ? 'everyone' : 'behind' },
  { type: 'announce', event: 'ended', reason, ...(message ? { message } : {}) },
];

type Expected = { next: Partial<Consultation>; effects: ConsultationEffect[] } | RegExp;

// Every (state, event) pair with its outcome: the next record and the effects in order, or a
// rejection whose reason says why. A swapped target, a missing effect or a pair allowed by mistake fails.
const TABLE: Array<[ConsultationState, ConsultationEventType, Expected]> = [
  ['scheduled', 'checkIn', { next: { state: 'waiting', scheduledAt: 9_000 }, effects: [] }],
  ['scheduled', 'admit', /cannot admit: consultation is scheduled/],
  ['scheduled', 'moveMedia', /cannot move the media: consultation is scheduled/],
  ['scheduled', 'hangUp', { next: ended(EndReason.HUNG_UP, null), effects: endEffects(EndReason.HUNG_UP, false) }],
  ['scheduled', 'decline', /cannot decline: consultation is scheduled/],
  ['scheduled', 'abandon', /cannot abandon the call: consultation is scheduled/],
  ['scheduled', 'loseMedia', /cannot lose the media: consultation is scheduled/],
  ['waiting', 'checkIn', { next: AT.waiting, effects: [] }],
  [
    'waiting',
    'admit',
    {
      next: { state: 'in_call', nodeId: 'n2', admittedAt: NOW },
      effects: [
        { type: 'meter', fact: 'admitted', at: NOW },
        { type: 'audit', action: AuditAction.ADMITTED },
        { type: 'leaveQueue', refresh: 'everyone' },
        { type: 'announce', event: 'admitted' },
      ],
    },
  ],
  ['waiting', 'moveMedia', /cannot move the media: consultation is waiting/],
  ['waiting', 'hangUp', { next: ended(EndReason.HUNG_UP, null), effects: endEffects(EndReason.HUNG_UP, false) }],
  [
    'waiting',
    'decline',
    {
      next: ended(EndReason.DECLINED, null),
      effects: endEffects(EndReason.DECLINED, false, 'please call the practice'),
    },
  ],
  ['waiting', 'abandon', /cannot abandon the call: consultation is waiting/],
  ['waiting', 'loseMedia', /cannot lose the media: consultation is waiting/],
  ['in_call', 'checkIn', /cannot check in: consultation is in_call/],
  ['in_call', 'admit', /cannot admit: consultation is in_call/],
  [
    'in_call',
    'moveMedia',
    {
      next: { state: 'in_call', nodeId: 'n3', admittedAt: 1_000 },
      effects: [
        { type: 'audit', action: AuditAction.MEDIA_MOVED },
        { type: 'announce', event: 'admitted' },
      ],
    },
  ],
  ['in_call', 'hangUp', { next: ended(EndReason.HUNG_UP, 1_000), effects: endEffects(EndReason.HUNG_UP, true) }],
  ['in_call', 'decline', /cannot decline: consultation is in_call/],
  ['in_call', 'abandon', { next: ended(EndReason.ABANDONED, 1_000), effects: endEffects(EndReason.ABANDONED, true) }],
  [
    'in_call',
    'loseMedia',
    { next: ended(EndReason.MEDIA_LOST, 1_000), effects: endEffects(EndReason.MEDIA_LOST, true) },
  ],
  ...(['checkIn', 'admit', 'moveMedia', 'hangUp', 'decline', 'abandon', 'loseMedia'] as const).map(
    (e) => ['ended', e, /consultation already ended/] as [ConsultationState, ConsultationEventType, Expected],
  ),
];

describe('consultation state machine', () => {
  it('lists every state x event pair exactly once', () => {
    const pairs = TABLE.map(([s, e]) => `${s}/${e}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(pairs.length).toBe(Object.values(S).length * Object.keys(EVENT).length);
  });

  it.each(TABLE)('%s --%s--> %o', (state, type, expected) => {
    const c = AT[state];
    const t = transition(c, EVENT[type], NOW);
    if (expected instanceof RegExp) {
      expect(t).toMatchObject({ ok: false, reason: expect.stringMatching(expected) });
      expect(() => assertAllowed(c, type)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_STATE }));
      return;
    }
    expect(() => assertAllowed(c, type)).not.toThrow();
    if (!t.ok) throw new Error(t.reason);
    // The identity of the consultation never changes; only the state's own fields do.
    expect(t.next).toMatchObject({ ...base, scheduledAt: c.scheduledAt, ...expected.next });
    expect(Object.keys(t.next).sort()).toEqual(Object.keys(AT[t.next.state]).sort());
    expect(t.effects).toEqual(expected.effects);
  });

  it('gives back the same record for a repeated check-in (the store has nothing to write)', () => {
    const t = transition(AT.waiting, EVENT.checkIn, NOW);
    expect(t.ok && t.next).toBe(AT.waiting);
  });
});
