import type { ConsultationView } from '@visita/protocol';
import { describe, expect, it } from 'vitest';
import {
  callStartedAt,
  checkedIn,
  consultationReducer as reduce,
  hangUpConfirmedBy,
  hangUpRetryMs,
  initialPhase,
  keepsMedia,
  type ConsultationPhase,
} from './consultationState.ts';

const view = (state: ConsultationView['state'], extra: Partial<ConsultationView> = {}): ConsultationView => ({
  consultationId: 'c1',
  state,
  createdAt: 0,
  scheduledAt: null,
  patientPresent: true,
  practitionerPresent: true,
  patientName: 'Alice',
  reason: null,
  practitionerName: 'Dr. Martin',
  practiceName: null,
  admittedAt: state === 'in_call' ? 1_000 : null,
  patientDevices: { camera: true, microphone: true },
  ...extra,
});

describe('consultationReducer', () => {
  it('shows a hang-up as ended only once the server confirmed it; until then the call (or the waiting) goes on', () => {
    const call = reduce(reduce(initialPhase, { type: 'joined', view: view('waiting'), keptMedia: false }), {
      type: 'admitted',
      view: view('in_call'),
    });
    const asked = reduce(call, { type: 'hangingUp' });
    expect(asked).toMatchObject({ name: 'call', generation: 0, ending: 'pending' });
    const failed = reduce(asked, { type: 'hangUpUnconfirmed' });
    expect(failed).toMatchObject({ name: 'call', ending: 'unconfirmed' });
    // Still unconfirmed across a media rebuild or a view update.
    expect(reduce(failed, { type: 'admitted', view: null })).toMatchObject({ generation: 1, ending: 'unconfirmed' });
    expect(reduce(failed, { type: 'updated', view: view('in_call') })).toMatchObject({ ending: 'unconfirmed' });
    expect(reduce(failed, { type: 'hungUp' })).toEqual({ name: 'ended', reason: 'hung_up', left: 'call' });
    // The server's own word (the ended event) confirms it too.
    expect(reduce(failed, { type: 'ended', reason: 'hung_up', by: 'practitioner' })).toEqual({
      name: 'ended',
      reason: 'hung_up',
      by: 'practitioner',
      left: 'call',
    });
    // Leaving the waiting room: the same.
    const waiting = reduce(initialPhase, { type: 'joined', view: view('waiting'), keptMedia: false });
    const leaving = reduce(waiting, { type: 'hangingUp' });
    expect(leaving).toMatchObject({ name: 'waiting', ending: 'pending' });
    expect(reduce(leaving, { type: 'updated', view: view('waiting') })).toMatchObject({ ending: 'pending' });
    // The ended event of one's own leaving, come before the request's answer: "you left".
    expect(reduce(leaving, { type: 'ended', reason: 'hung_up', by: 'patient' })).toMatchObject({ left: 'waiting' });
    // An end that is not this side's (not asked): nothing left.
    expect(reduce(waiting, { type: 'ended', reason: 'hung_up', by: 'practitioner' })).not.toHaveProperty('left');
    // Nothing to end before joining, or after the end.
    expect(reduce(initialPhase, { type: 'hangingUp' })).toEqual(initialPhase);
  });

  it('reads INVALID_STATE as "already over" and anything else as "try again", later each time', () => {
    expect(hangUpConfirmedBy('INVALID_STATE')).toBe(true);
    for (const code of ['TIMEOUT', 'UNAVAILABLE', 'NOT_FOUND', 'RATE_LIMITED'] as const)
      expect(hangUpConfirmedBy(code)).toBe(false);
    expect([0, 1, 2, 3, 4, 10].map(hangUpRetryMs)).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('joins into the waiting room, is admitted, and each admission or rejoin without media is a new generation', () => {
    let p = reduce(initialPhase, { type: 'joined', view: view('waiting'), keptMedia: false });
    expect(p).toMatchObject({ name: 'waiting' });
    p = reduce(p, { type: 'admitted', view: view('in_call') });
    expect(p).toMatchObject({ name: 'call', generation: 0 });
    expect(keepsMedia(p)).toBe(true);
    // A reconnection that kept the media: the same session goes on.
    expect(reduce(p, { type: 'joined', view: view('in_call'), keptMedia: true })).toMatchObject({ generation: 0 });
    // One that did not (the node freed the media): a new one.
    expect(reduce(p, { type: 'joined', view: view('in_call'), keptMedia: false })).toMatchObject({ generation: 1 });
    expect(reduce(p, { type: 'admitted', view: null })).toMatchObject({ generation: 1, view: view('in_call') });
  });

  it('the call counts from the admission through every media generation, not from the view’s start', () => {
    let p = reduce(initialPhase, { type: 'joined', view: view('waiting'), keptMedia: false });
    expect(callStartedAt(p)).toBeNull();
    p = reduce(p, { type: 'admitted', view: view('in_call', { admittedAt: 5_000 }) });
    expect(callStartedAt(p)).toBe(5_000);
    // Moved to another media node (a rebuild: a new generation, the view remounted), then an update.
    p = reduce(p, { type: 'joined', view: view('in_call', { admittedAt: 5_000 }), keptMedia: false });
    expect(p).toMatchObject({ generation: 1 });
    expect(callStartedAt(p)).toBe(5_000);
    p = reduce(p, { type: 'admitted', view: null });
    expect(callStartedAt(p)).toBe(5_000);
    p = reduce(p, { type: 'updated', view: view('in_call', { admittedAt: 5_000, patientPresent: false }) });
    expect(callStartedAt(p)).toBe(5_000);
  });

  it('opening a consultation already in a call goes straight to the call', () => {
    expect(reduce(initialPhase, { type: 'joined', view: view('in_call'), keptMedia: false })).toMatchObject({
      name: 'call',
      generation: 0,
    });
  });

  it('ends with the reason given, and nothing late brings an ended consultation back', () => {
    const call = reduce(initialPhase, { type: 'admitted', view: view('in_call') });
    const ended = reduce(call, { type: 'ended', reason: 'declined', message: 'See your GP' });
    expect(ended).toEqual({ name: 'ended', reason: 'declined', message: 'See your GP' });
    for (const late of [
      { type: 'admitted', view: view('in_call') },
      { type: 'updated', view: view('waiting') },
      { type: 'joined', view: view('waiting'), keptMedia: false },
      { type: 'failed', code: 'TIMEOUT' },
      { type: 'hungUp' },
    ] as const)
      expect(reduce(ended, late)).toBe(ended);
    expect(reduce(call, { type: 'hungUp' })).toEqual({ name: 'ended', reason: 'hung_up', left: 'call' });
    expect(reduce(call, { type: 'declined' })).toEqual({ name: 'ended', reason: 'declined' });
  });

  it('an update while waiting refreshes the view; one saying "in call" waits for the admission itself', () => {
    const waiting = reduce(initialPhase, { type: 'joined', view: view('waiting'), keptMedia: false });
    const pending = { since: 1, etaMs: 20_000 };
    expect(reduce(waiting, { type: 'updated', view: view('waiting', { admission: pending }) })).toMatchObject({
      name: 'waiting',
      view: { admission: pending },
    });
    expect(reduce(waiting, { type: 'updated', view: view('in_call') })).toBe(waiting);
  });

  it('being replaced by another device wins over everything, even an end', () => {
    const states: ConsultationPhase[] = [
      initialPhase,
      { name: 'ended', reason: 'hung_up' },
      { name: 'call', generation: 3, view: null },
      { name: 'error', code: 'TIMEOUT' },
    ];
    for (const s of states) expect(reduce(s, { type: 'replaced' })).toEqual({ name: 'replaced' });
    expect(reduce({ name: 'replaced' }, { type: 'admitted', view: null })).toEqual({ name: 'replaced' });
  });

  it('keeps the reason a join answered when broadcasts (which never carry it) update the view', () => {
    let p = reduce(initialPhase, { type: 'joined', view: view('waiting', { reason: 'Fièvre' }), keptMedia: false });
    p = reduce(p, { type: 'updated', view: view('waiting', { patientPresent: false }) });
    expect(p).toMatchObject({ name: 'waiting', view: { reason: 'Fièvre', patientPresent: false } });
    p = reduce(p, { type: 'admitted', view: view('in_call') });
    expect(p).toMatchObject({ name: 'call', view: { reason: 'Fièvre' } });
    p = reduce(p, { type: 'updated', view: view('in_call') });
    expect(p).toMatchObject({ name: 'call', view: { reason: 'Fièvre' } });
  });

  it('a rejoin refused because the consultation ended meanwhile (away during the hang-up) shows it ended', () => {
    let p = reduce(initialPhase, { type: 'joined', view: view('in_call'), keptMedia: false });
    p = reduce(p, { type: 'failed', code: 'INVALID_STATE' });
    expect(p).toEqual({ name: 'ended', reason: 'hung_up' });
  });

  it('a failure shows its code, and a later join recovers from it', () => {
    const failed = reduce(initialPhase, { type: 'failed', code: 'NOT_FOUND' });
    expect(failed).toEqual({ name: 'error', code: 'NOT_FOUND' });
    expect(reduce(failed, { type: 'joined', view: view('waiting'), keptMedia: false })).toMatchObject({
      name: 'waiting',
    });
  });
});

describe('checkedIn (when the practitioner asks again for the reason)', () => {
  const absent = view('scheduled', { patientPresent: false, patientName: null });
  it('is the patient arriving, or coming back under another name, while not in a call', () => {
    expect(checkedIn(absent, view('waiting'))).toBe(true);
    expect(checkedIn(view('waiting', { patientPresent: false }), view('waiting'))).toBe(true);
    expect(checkedIn(view('waiting'), view('waiting', { patientName: 'Alicia' }))).toBe(true);
  });
  it('is not a mere update, a call, an absent patient, or an update before this side joined', () => {
    expect(checkedIn(view('waiting'), view('waiting', { practitionerPresent: false }))).toBe(false);
    expect(checkedIn(absent, view('in_call'))).toBe(false);
    expect(checkedIn(absent, view('waiting', { patientPresent: false }))).toBe(false);
    expect(checkedIn(null, view('waiting'))).toBe(false);
  });

  it('the end says who ended it and how long the call lasted; this side’s own hang-up learns them from the server (issue 21)', () => {
    const call = reduce(initialPhase, { type: 'admitted', view: view('in_call') });
    expect(reduce(call, { type: 'ended', reason: 'hung_up', by: 'patient', callMs: 61_000 })).toEqual({
      name: 'ended',
      reason: 'hung_up',
      by: 'patient',
      callMs: 61_000,
    });
    const mine = reduce(call, { type: 'hungUp' });
    const told = reduce(mine, { type: 'ended', reason: 'hung_up', by: 'practitioner', callMs: 5_000 });
    expect(told).toEqual({ name: 'ended', reason: 'hung_up', left: 'call', by: 'practitioner', callMs: 5_000 });
    // Once known, a later event changes nothing.
    expect(reduce(told, { type: 'ended', reason: 'hung_up', by: 'patient', callMs: 9 })).toBe(told);
    // Leaving the waiting room is not ending a call.
    const waiting = reduce(initialPhase, { type: 'joined', view: view('waiting'), keptMedia: false });
    expect(reduce(waiting, { type: 'hungUp' })).toEqual({ name: 'ended', reason: 'hung_up', left: 'waiting' });
  });
});
