// What the practitioner's dashboard lists where: a patient in the waiting room is shown there only
// (one Open per patient); a consultation nobody has checked in to yet is "unused" (its link can be
// copied, the consultation closed); the rest is open, or ended in the archive. Pure.
import type { ConsultationView } from '@visita/protocol';

export type ListedKind = 'unused' | 'open' | 'ended';

export interface ConsultationSections {
  /** Newest first: not checked in yet, or admitted / in a call and not in the waiting room. */
  current: { consultation: ConsultationView; kind: Exclude<ListedKind, 'ended'> }[];
  ended: ConsultationView[];
}

export function kindOf(c: ConsultationView): ListedKind {
  if (c.state === 'ended') return 'ended';
  return (c.state === 'waiting' || c.state === 'scheduled') && c.patientName === null ? 'unused' : 'open';
}

/** The list, without the consultations whose patient is in the waiting room (`queued`). */
export function sections(list: readonly ConsultationView[], queued: ReadonlySet<string>): ConsultationSections {
  const newest = [...list].sort((a, b) => b.createdAt - a.createdAt);
  const current: ConsultationSections['current'] = [];
  const ended: ConsultationView[] = [];
  for (const c of newest) {
    const kind = kindOf(c);
    if (kind === 'ended') ended.push(c);
    else if (!queued.has(c.consultationId)) current.push({ consultation: c, kind });
  }
  return { current, ended };
}
