import { PractitionerStatus } from '@visita/protocol';

/** Typical length of a consultation, for wait estimates until real durations are measured. */
export const AVERAGE_CONSULTATION_MS = 15 * 60_000;

/**
 * Estimated wait of the patient at 1-based `position`: everyone ahead is seen for an average
 * consultation, and a call in progress is assumed half done. Pure.
 */
export function estimateWaitMs(
  position: number,
  status: PractitionerStatus,
  averageMs = AVERAGE_CONSULTATION_MS,
): number {
  const ahead = Math.max(0, position - 1) * averageMs;
  return ahead + (status === PractitionerStatus.IN_CALL ? averageMs / 2 : 0);
}

/** The practitioner's status as patients see it. */
export function practitionerStatus(present: boolean, inCall: boolean): PractitionerStatus {
  if (inCall) return PractitionerStatus.IN_CALL;
  return present ? PractitionerStatus.ONLINE : PractitionerStatus.AWAY;
}
