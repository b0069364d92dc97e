// The practitioner's screen after a consultation: with whom, who ended it (or why it ended), and
// how long the call lasted.
import type { EndReason } from '@visita/protocol';
import { duration } from '../../lib/format.ts';
import type { Strings } from '../../lib/i18n.ts';
import type { EndDetails } from '../call/consultationState.ts';
import { Panel } from '../../ui/Panel.tsx';

export function EndedSummary({
  t,
  reason,
  details,
  patientName,
  onClose,
}: {
  t: Strings;
  reason: EndReason;
  details: EndDetails;
  patientName: string | null;
  onClose: () => void;
}) {
  const patient = patientName ?? t.aPatient;
  const why =
    reason === 'declined'
      ? t.declinedByYou
      : reason === 'media_lost'
        ? t.mediaLost
        : reason === 'abandoned'
          ? t.endedAbandoned
          : details.by === 'patient'
            ? t.endedByPatient(patient)
            : details.by === 'practitioner' || details.left
              ? t.endedByYou
              : t.ended;
  return (
    <Panel title={t.endedTitle} heading={`${t.endedTitle} — ${patient}`}>
      <p data-testid="ended">{why}</p>
      {details.callMs !== undefined && (
        <p data-testid="ended-duration">{t.callLength(duration(t.locale, details.callMs))}</p>
      )}
      <button onClick={onClose}>{t.back}</button>
    </Panel>
  );
}
