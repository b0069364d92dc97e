// The network-quality indicator's grading (pure).

/** How the call's network looks from the receive side, over the last sample. */
export type NetworkQuality = 'good' | 'fair' | 'poor';

/** Loss and round trip → a quality: fair from 2 % loss or a 300-ms round trip, poor from 10 % or 600 ms. */
export function qualityOf(lossRatio: number, rttMs: number | null): NetworkQuality {
  if (lossRatio >= 0.1 || (rttMs !== null && rttMs >= 600)) return 'poor';
  if (lossRatio >= 0.02 || (rttMs !== null && rttMs >= 300)) return 'fair';
  return 'good';
}
