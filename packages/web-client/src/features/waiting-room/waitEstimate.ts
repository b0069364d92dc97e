// The waiting patient's expected wait, told so that it never contradicts the practitioner: when
// their status says "about 10 minutes late", the estimate is not "a few moments". Pure.

/** Minutes a status message names ("5 minutes late", "10 min de retard"), the largest if several. */
export function minutesIn(message: string | null): number | null {
  if (!message) return null;
  const found = [...message.matchAll(/(\d{1,3})\s*(?:min|mn)/gi)].map((m) => Number(m[1]));
  return found.length > 0 ? Math.max(...found) : null;
}

/**
 * The wait to show, in whole minutes (0: "a few moments"): the queue's estimate, raised to what
 * the practitioner's message names. A later estimate does not lower it while the message stands.
 */
export function expectedWaitMinutes(estimatedWaitMs: number, message: string | null): number {
  const queue = Math.max(0, Math.round(estimatedWaitMs / 60_000));
  return Math.max(queue, minutesIn(message) ?? 0);
}
