// One consultation as either side lives it: joining, waiting (or, for the practitioner, the
// consultation's lobby), the call (a new generation each time media must be set up afresh), and how
// it ended. Shared by the patient's and the practitioner's screens; pure, so it is unit-tested.
import type { ConsultationView, EndedBy, EndReason, ErrorCode } from '@visita/protocol';

/**
 * This side asked to end (hang up, leave the waiting room) and the server has not confirmed yet:
 * `pending` while the request is on its way, `unconfirmed` once it failed and is being retried.
 */
export type Ending = 'pending' | 'unconfirmed';

export type ConsultationPhase =
  | { name: 'joining' }
  /** Not in a call: the patient waits, or the practitioner sees the consultation before admitting. */
  | { name: 'waiting'; view: ConsultationView; ending?: Ending }
  /** In the call; `generation` changes when the media session must be built again. */
  | { name: 'call'; generation: number; view: ConsultationView | null; ending?: Ending }
  | ({ name: 'ended'; reason: EndReason; message?: string } & EndDetails)
  /** The patient's link was opened on another device or tab, which took over. */
  | { name: 'replaced' }
  | { name: 'error'; code: ErrorCode };

export type ConsultationEvent =
  /** The answer to `consultation:join`; `keptMedia`: joined again keeping the call's media. */
  | { type: 'joined'; view: ConsultationView; keptMedia: boolean }
  | { type: 'updated'; view: ConsultationView }
  | { type: 'admitted'; view: ConsultationView | null }
  | ({ type: 'ended'; reason: EndReason; message?: string } & EndDetails)
  /** This side asked to end; the server has not answered yet. */
  | { type: 'hangingUp' }
  /** The request to end failed (no answer, or an error): it is tried again. */
  | { type: 'hangUpUnconfirmed' }
  /** The server confirmed this side's hang-up. */
  | { type: 'hungUp' }
  /** The practitioner declined the waiting patient. */
  | { type: 'declined' }
  | { type: 'replaced' }
  | { type: 'failed'; code: ErrorCode };

/** What the end screens say: who ended it, the call's length (none: no call), what this side left. */
export interface EndDetails {
  by?: EndedBy;
  callMs?: number;
  /** This side hung up, from the waiting room or from the call. */
  left?: 'waiting' | 'call';
}

const detailsOf = (e: EndDetails): EndDetails => ({
  ...(e.by ? { by: e.by } : {}),
  ...(e.callMs !== undefined ? { callMs: e.callMs } : {}),
});

export const initialPhase: ConsultationPhase = { name: 'joining' };

/** Over: nothing that arrives afterwards (a late update, a stale admission) brings it back. */
const isOver = (p: ConsultationPhase) => p.name === 'ended' || p.name === 'replaced';

/** A broadcast view carries no reason (only a join's answer does): the one known is kept. */
const withReason = (view: ConsultationView, before: ConsultationView | null | undefined): ConsultationView =>
  view.reason === null && before?.reason ? { ...view, reason: before.reason } : view;

/** The view a phase holds (waiting or in a call), if any. */
export const viewOf = (p: ConsultationPhase): ConsultationView | null =>
  p.name === 'call' || p.name === 'waiting' ? p.view : null;
const previous = viewOf;

/**
 * Whether an update shows the patient (newly) checked in while not in a call: present now and not
 * before, or under another name. Then their reason is worth asking for (a join's answer has it).
 * Nothing known before: this side's own join is still on its way, and its answer will carry it.
 */
export function checkedIn(before: ConsultationView | null, after: ConsultationView): boolean {
  if (!before || after.state !== 'waiting' || !after.patientPresent) return false;
  return !before.patientPresent || before.patientName !== after.patientName;
}

/** An unconfirmed end is carried into the next phase: it still is not confirmed. */
const endingOf = (p: ConsultationPhase): { ending?: Ending } =>
  (p.name === 'call' || p.name === 'waiting') && p.ending ? { ending: p.ending } : {};

const nextCall = (p: ConsultationPhase, view: ConsultationView | null): ConsultationPhase => ({
  name: 'call',
  generation: p.name === 'call' ? p.generation + 1 : 0,
  view: view ? withReason(view, previous(p)) : previous(p),
  ...endingOf(p),
});

export function consultationReducer(p: ConsultationPhase, e: ConsultationEvent): ConsultationPhase {
  if (e.type === 'replaced') return { name: 'replaced' };
  // This side's own hang-up, told back by the server: who and how long are added, nothing else.
  if (p.name === 'ended' && e.type === 'ended' && p.left && !p.by && e.reason === p.reason)
    return { ...p, ...detailsOf(e) };
  if (isOver(p)) return p;
  switch (e.type) {
    case 'joined':
      if (e.view.state === 'ended') return { name: 'ended', reason: 'hung_up' };
      if (e.view.state !== 'in_call') return { name: 'waiting', view: e.view, ...endingOf(p) };
      // Joined again keeping the media: the same session goes on (it restarts ICE by itself).
      if (e.keptMedia && p.name === 'call') return { ...p, view: withReason(e.view, p.view) };
      return nextCall(p, e.view);
    case 'updated':
      if (p.name === 'waiting' || p.name === 'joining')
        return e.view.state === 'in_call' || e.view.state === 'ended'
          ? p
          : { name: 'waiting', view: withReason(e.view, previous(p)), ...endingOf(p) };
      if (p.name === 'call') return { ...p, view: withReason(e.view, p.view) };
      return p;
    case 'admitted':
      return nextCall(p, e.view);
    case 'ended':
      return {
        name: 'ended',
        reason: e.reason,
        ...(e.message ? { message: e.message } : {}),
        ...detailsOf(e),
        // The server's word on this side's own hang-up, come before its answer: this side left.
        ...(endingOf(p).ending && e.reason === 'hung_up' ? { left: p.name === 'call' ? 'call' : 'waiting' } : {}),
      };
    case 'hangingUp':
    case 'hangUpUnconfirmed': {
      const ending = e.type === 'hangingUp' ? 'pending' : 'unconfirmed';
      return p.name === 'call' || p.name === 'waiting' ? { ...p, ending } : p;
    }
    case 'hungUp':
      return { name: 'ended', reason: 'hung_up', left: p.name === 'call' ? 'call' : 'waiting' };
    case 'declined':
      return { name: 'ended', reason: 'declined' };
    case 'failed':
      // A (re)join is refused as INVALID_STATE only when the consultation is over: it ended while
      // this page was away (a reconnection after the other side hung up). Said as such, not as an error.
      if (e.code === 'INVALID_STATE') return { name: 'ended', reason: 'hung_up' };
      return { name: 'error', code: e.code };
  }
}

/**
 * When the call began — the admission, as the server dated it and the bill counts —, the same
 * through every generation (a media rebuild, a move to another node); null when not known.
 */
export const callStartedAt = (p: ConsultationPhase): number | null =>
  p.name === 'call' ? (p.view?.admittedAt ?? null) : null;

/** Whether a (re)join should keep the call's media: only while in a call. */
export const keepsMedia = (p: ConsultationPhase): boolean => p.name === 'call';

/**
 * What a failed hang-up request means: INVALID_STATE is the answer for a consultation already over
 * (the other side ended it first): confirmed. Anything else (no answer, the service unavailable,
 * a consultation it does not know) leaves the call open as far as this page knows: tried again.
 */
export const hangUpConfirmedBy = (code: ErrorCode): boolean => code === 'INVALID_STATE';

/** The wait before trying a hang-up again: 1 s, doubled each time, at most 10 s. */
export const hangUpRetryMs = (attempt: number): number => Math.min(10_000, 1_000 * 2 ** attempt);
