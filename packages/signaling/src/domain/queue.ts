import { PractitionerStatus } from '@visita/protocol';

/** Typical length of a consultation, for wait estimates until a practitioner's own are measured. */
export const AVERAGE_CONSULTATION_MS = 15 * 60_000;
/** Recent consultations of a practitioner that estimates are made of. */
export const DURATION_SAMPLES = 20;
/** Fewer measured consultations than this: the default length is used. */
export const MIN_DURATION_SAMPLES = 3;
/** Calls shorter than this (a failed start, a wrong patient) or longer say nothing about the next one. */
export const DURATION_RANGE_MS = [30_000, 4 * 3600_000] as const;

/**
 * The length to expect of a practitioner's next consultation: the median of their recent ones
 * (robust to one very long call), or AVERAGE_CONSULTATION_MS until MIN_DURATION_SAMPLES are known.
 */
export function typicalConsultationMs(recent: readonly number[]): number {
  const [min, max] = DURATION_RANGE_MS;
  const usable = recent.filter((ms) => ms >= min && ms <= max).sort((a, b) => a - b);
  if (usable.length < MIN_DURATION_SAMPLES) return AVERAGE_CONSULTATION_MS;
  const mid = Math.floor(usable.length / 2);
  return usable.length % 2 === 1 ? usable[mid]! : Math.round((usable[mid - 1]! + usable[mid]!) / 2);
}

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
